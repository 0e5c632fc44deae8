using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using DePinLedger.Inference.Engine;
using DePinLedger.Pipeline;
using DePinLedger.Worker.Contracts;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace DePinLedger.Worker.Tests;

/// <summary>
/// The direct data path (worker.proto): Forward over plain TCP gives what gRPC gives, with the same statuses for bad
/// calls; malformed frames get a clear answer and never take the worker down; the runner falls back to gRPC where
/// there is no data path.
/// </summary>
[Collection(WorkerCollection.Name)]
public sealed class DataPathTests(PipelineFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Forward_OverTheDataPath_EqualsForward_OverGrpc()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Stage1.Address);
        var client = new Contracts.Worker.WorkerClient(channel);
        InfoReply info = await client.InfoAsync(new InfoRequest());
        Assert.True(info.DataPort > 0);
        using DataPathConnection direct = await DataPathConnection.ConnectAsync("127.0.0.1", info.DataPort, Timeout, CancellationToken.None);
        int dim = fixture.Model.Config.Dim;

        string overGrpc = (await client.OpenSessionAsync(WorkerServiceTests.Open(8, 40))).SessionId;
        string overData = (await client.OpenSessionAsync(WorkerServiceTests.Open(8, 40))).SessionId;
        try
        {
            foreach ((int start, int count) in new[] { (0, 3), (3, 1), (4, 2) })
            {
                var request = new ForwardRequest { StartPosition = start, Count = count, Hidden = WorkerServiceTests.Hidden(count, dim) };
                ForwardReply expected = await client.ForwardAsync(new ForwardRequest(request) { SessionId = overGrpc });
                ForwardReply actual = await direct.ForwardAsync(new ForwardRequest(request) { SessionId = overData }, 1 << 20, Timeout, CancellationToken.None);
                Assert.Equal(expected.Hidden, actual.Hidden);
                Assert.Equal(expected.Leaves, actual.Leaves);
                Assert.Equal(expected.Token, actual.Token);
                Assert.Equal(count * 2 * 32, actual.Leaves.Length);
            }
            CloseSessionReply a = await client.CloseSessionAsync(new CloseSessionRequest { SessionId = overGrpc });
            CloseSessionReply b = await client.CloseSessionAsync(new CloseSessionRequest { SessionId = overData });
            Assert.Equal(a.TraceRoot, b.TraceRoot);
            Assert.Equal(a.OutputRoot, b.OutputRoot);
            Assert.Equal(6, b.Positions);
        }
        finally
        {
            await CloseQuietly(client, overGrpc);
            await CloseQuietly(client, overData);
        }
    }

    [Fact]
    public async Task BadForwardCalls_GetTheGrpcStatuses_AndTheConnectionKeepsServing()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Stage1.Address);
        var client = new Contracts.Worker.WorkerClient(channel);
        int port = (await client.InfoAsync(new InfoRequest())).DataPort;
        using DataPathConnection direct = await DataPathConnection.ConnectAsync("127.0.0.1", port, Timeout, CancellationToken.None);
        int dim = fixture.Model.Config.Dim;

        async Task Expect(StatusCode code, string detail, ForwardRequest request)
        {
            RpcException e = await Assert.ThrowsAsync<RpcException>(() => direct.ForwardAsync(request, 1 << 20, Timeout, CancellationToken.None));
            Assert.Equal(code, e.StatusCode);
            Assert.Contains(detail, e.Status.Detail);
            await direct.PingAsync(Timeout, CancellationToken.None); // the same connection still answers
        }

        await Expect(StatusCode.NotFound, "unknown session feed", new ForwardRequest { SessionId = "feed", Count = 1, Hidden = WorkerServiceTests.Hidden(1, dim) });
        await Expect(StatusCode.InvalidArgument, "session_id is required", new ForwardRequest { Count = 1, Hidden = WorkerServiceTests.Hidden(1, dim) });
        string session = (await client.OpenSessionAsync(WorkerServiceTests.Open(8, 41))).SessionId;
        try
        {
            await Expect(StatusCode.InvalidArgument, "hidden must be count × dim × 4 = 256 bytes, got 255",
                new ForwardRequest { SessionId = session, Count = 1, Hidden = ByteString.CopyFrom(new byte[255]) });
            await Expect(StatusCode.InvalidArgument, "count must be 1..512", new ForwardRequest { SessionId = session, Count = 0 });
            await Expect(StatusCode.FailedPrecondition, "expected start 0, got 3",
                new ForwardRequest { SessionId = session, StartPosition = 3, Count = 1, Hidden = WorkerServiceTests.Hidden(1, dim) });
            ForwardReply ok = await direct.ForwardAsync(new ForwardRequest { SessionId = session, Count = 2, Hidden = WorkerServiceTests.Hidden(2, dim) }, 1 << 20, Timeout, CancellationToken.None);
            Assert.Equal(2 * dim * 4, ok.Hidden.Length);
        }
        finally
        {
            await CloseQuietly(client, session);
        }
        Assert.False(fixture.Stage1.HasExited);
    }

    [Fact]
    public async Task MalformedFrames_GetAClearAnswer_AndNeverTakeTheWorkerDown()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Stage1.Address);
        var client = new Contracts.Worker.WorkerClient(channel);
        int port = (await client.InfoAsync(new InfoRequest())).DataPort;

        using (Socket raw = await RawAsync(port, DataPathFrames.Preface.ToArray()))
        {
            Assert.Equal(DataPathFrames.Preface.ToArray(), await ReadAsync(raw, 8));
            (StatusCode code, string text) = await Call(raw, [9, 1, 2]);
            Assert.Equal((StatusCode.Unimplemented, "unknown request kind 9; this worker serves 1 (Forward) and 2 (ping)"), (code, text));
            (code, text) = await Call(raw, [DataPathFrames.ForwardKind, 0xff, 0xff, 0xff]);
            Assert.Equal(StatusCode.InvalidArgument, code);
            Assert.StartsWith("not a ForwardRequest", text);
            (code, text) = await Call(raw, [DataPathFrames.PingKind, 0]);
            Assert.Equal((StatusCode.InvalidArgument, "a ping carries nothing after its kind"), (code, text));
            (code, text) = await Call(raw, [DataPathFrames.PingKind]);
            Assert.Equal((StatusCode.OK, ""), (code, text));

            // A header announcing more than a full batch: answered, then the connection is closed (the stream cannot be trusted).
            byte[] huge = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(huge, int.MaxValue);
            await raw.SendAsync(huge);
            (code, text) = await ReadReplyAsync(raw);
            Assert.Equal(StatusCode.ResourceExhausted, code);
            Assert.Contains("this one announced 2147483647", text);
            await AssertClosedAsync(raw);
        }

        using (Socket zero = await RawAsync(port, DataPathFrames.Preface.ToArray()))
        {
            await ReadAsync(zero, 8);
            await zero.SendAsync(new byte[4]);
            Assert.Equal(StatusCode.ResourceExhausted, (await ReadReplyAsync(zero)).Code);
        }

        // Something that is not this protocol (here an HTTP/2 preface) is closed without a word.
        using (Socket stranger = await RawAsync(port, Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")))
            await AssertClosedAsync(stranger);

        // A client cut off mid-frame costs the worker nothing either.
        using (Socket cut = await RawAsync(port, DataPathFrames.Preface.ToArray()))
        {
            await ReadAsync(cut, 8);
            await cut.SendAsync(new byte[] { 0, 0, 1, 0, DataPathFrames.ForwardKind, 1, 2 });
        }

        Assert.False(fixture.Stage1.HasExited);
        using DataPathConnection again = await DataPathConnection.ConnectAsync("127.0.0.1", port, Timeout, CancellationToken.None);
        await again.PingAsync(Timeout, CancellationToken.None);
        Assert.Equal(2, (await client.InfoAsync(new InfoRequest())).FirstLayer);
    }

    [Fact]
    public async Task TheClient_RefusesWhatIsNotADataPath_WithAnIOException()
    {
        // The gRPC port answers HTTP/2, not the preface; a closed port refuses the connection.
        IOException notOurs = await Assert.ThrowsAsync<IOException>(() =>
            DataPathConnection.ConnectAsync("127.0.0.1", fixture.Stage1.Address.Port, TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Contains("data path", notOurs.Message);
        int closed;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await Assert.ThrowsAsync<IOException>(() => DataPathConnection.ConnectAsync("127.0.0.1", closed, TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [Fact]
    public async Task AWorkerWithoutADataPath_IsServedOverGrpc_WithIdenticalResults()
    {
        using WorkerProcess plain = await WorkerProcess.StartAsync(fixture.Node, "4-4", "--data-port", "off");
        using (var channel = GrpcChannel.ForAddress(plain.Address))
            Assert.Equal(0, (await new Contracts.Worker.WorkerClient(channel).InfoAsync(new InfoRequest())).DataPort);
        var sampling = new SamplingParams(700, 950, SamplingParams.SeedFrom(43));
        PipelineJob job = PipelineFixture.Job(fixture.Prompt, 12, sampling, 43);
        PipelineResult mixed = await new PipelineRunner().RunAsync(fixture.RouteWith(2, plain.Address), job);
        PipelineResult grpcOnly = await new PipelineRunner(new PipelineOptions { DirectDataPath = false }).RunAsync(fixture.Route(), job);

        Assert.Equal([true, true, false], mixed.Stages.Select(s => s.DataPath));
        Assert.All(mixed.Stages, s => Assert.Null(s.DataPathUnavailable));
        Assert.All(grpcOnly.Stages, s => Assert.False(s.DataPath));
        Assert.Equal(grpcOnly.OutputTokens, mixed.OutputTokens);
        Assert.Equal(grpcOnly.Leaves, mixed.Leaves);
        Assert.Equal(fixture.Reference(fixture.Prompt, 12, sampling).Result.TraceRoot, mixed.TraceRoot);
    }

    [Theory]
    [InlineData("huge", "the worker announced a reply of 2147483647 bytes")]
    [InlineData("status", "status byte 200, not a gRPC status")]
    [InlineData("garbage", "the worker's reply is not a ForwardReply")]
    [InlineData("close", "the worker closed the data path connection")]
    [InlineData("silent", "no answer within 1 s")]
    public async Task TheClient_TreatsABrokenOrHostileWorker_AsAnIOException(string misbehaviour, string message)
    {
        // A fake worker that speaks the preface, then answers the first request wrongly.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task peer = Task.Run(async () =>
        {
            using Socket socket = await listener.AcceptSocketAsync();
            await ReadAsync(socket, 8);
            await socket.SendAsync(DataPathFrames.Preface.ToArray());
            int length = BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(socket, 4));
            await ReadAsync(socket, length);
            byte[] reply = misbehaviour switch
            {
                "huge" => [0x7f, 0xff, 0xff, 0xff, 0],
                "status" => [0, 0, 0, 1, 200],
                "garbage" => [0, 0, 0, 4, 0, 0xff, 0xff, 0xff],
                _ => [],
            };
            await socket.SendAsync(reply);
            if (misbehaviour == "silent") await Task.Delay(3000);
        });
        using DataPathConnection connection = await DataPathConnection.ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, Timeout, CancellationToken.None);
        IOException e = await Assert.ThrowsAsync<IOException>(() => connection.ForwardAsync(new ForwardRequest { SessionId = "s", Count = 1 }, 1 << 16, TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains(message, e.Message);
        await peer;
    }

    [Fact]
    public async Task AWorkerOnIPv6Loopback_IsReachedOverItsDataPath()
    {
        using WorkerProcess six = await WorkerProcess.StartAsync(fixture.Node, "4-4", "--host", "::1");
        Assert.Equal("[::1]", six.Address.Host);
        var sampling = new SamplingParams(0, 1000, SamplingParams.SeedFrom(44));
        PipelineResult result = await new PipelineRunner().RunAsync(fixture.RouteWith(2, six.Address), PipelineFixture.Job(fixture.Prompt, 8, sampling, 44));
        Assert.True(result.Stages[2].DataPath, result.Stages[2].DataPathUnavailable);
        Assert.Equal(fixture.Reference(fixture.Prompt, 8, sampling).Result.TraceRoot, result.TraceRoot);
    }

    [Fact]
    public void AnUnreachableDataPath_IsLeftAlone_UntilTheRetryInterval()
    {
        var clock = new ManualClock();
        var paths = new DataPathReachability(TimeSpan.FromMinutes(5), clock);
        Assert.True(paths.ShouldTry("10.0.0.7", 7001));
        paths.Failed("10.0.0.7", 7001);
        Assert.False(paths.ShouldTry("10.0.0.7", 7001));
        Assert.True(paths.ShouldTry("10.0.0.7", 7002));
        Assert.True(paths.ShouldTry("10.0.0.8", 7001));
        clock.Now += TimeSpan.FromMinutes(4);
        Assert.False(paths.ShouldTry("10.0.0.7", 7001));
        clock.Now += TimeSpan.FromMinutes(1);
        Assert.True(paths.ShouldTry("10.0.0.7", 7001));
        paths.Failed("10.0.0.7", 7001);
        paths.Reached("10.0.0.7", 7001);
        Assert.True(paths.ShouldTry("10.0.0.7", 7001));
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>The worker closed the connection: an orderly end, or a reset when it left our bytes unread.</summary>
    private static async Task AssertClosedAsync(Socket socket)
    {
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(new byte[64]));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with unread input: the kernel says so with a reset.
        }
    }

    private static async Task CloseQuietly(Contracts.Worker.WorkerClient client, string session)
    {
        try
        {
            await client.CloseSessionAsync(new CloseSessionRequest { SessionId = session });
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already closed by the test.
        }
    }

    private static async Task<Socket> RawAsync(int port, byte[] first)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 30_000 };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(first);
        return socket;
    }

    private static async Task<(StatusCode Code, string Text)> Call(Socket socket, byte[] body)
    {
        byte[] frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await socket.SendAsync(frame);
        return await ReadReplyAsync(socket);
    }

    private static async Task<(StatusCode Code, string Text)> ReadReplyAsync(Socket socket)
    {
        int length = BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(socket, 4));
        byte[] body = await ReadAsync(socket, length);
        return ((StatusCode)body[0], Encoding.UTF8.GetString(body, 1, body.Length - 1));
    }

    private static async Task<byte[]> ReadAsync(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        using var timeout = new CancellationTokenSource(Timeout);
        for (int filled = 0; filled < count;)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), timeout.Token);
            Assert.NotEqual(0, read);
            filled += read;
        }
        return buffer;
    }
}
