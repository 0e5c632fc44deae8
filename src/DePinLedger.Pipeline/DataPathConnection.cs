using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using DePinLedger.Worker.Contracts;
using Grpc.Core;

namespace DePinLedger.Pipeline;

/// <summary>
/// The runner's end of a worker's direct data path (<see cref="DataPathFrames"/>): one connection, one call at a time.
/// A worker's refusal comes back as the <see cref="RpcException"/> gRPC would have raised; anything wrong with the
/// connection itself (closed, stalled, not this protocol) is an <see cref="IOException"/>, after which it is unusable.
/// </summary>
public sealed class DataPathConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _header = new byte[DataPathFrames.HeaderBytes];
    private byte[] _body = new byte[1024];

    private DataPathConnection(Socket socket) => _socket = socket;

    /// <summary>Connects and exchanges the preface; an IOException when nothing speaking the protocol answers in time.</summary>
    public static async Task<DataPathConnection> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new DataPathConnection(socket);
        try
        {
            await socket.ConnectAsync(host, port, deadline.Token);
            await socket.SendAsync(DataPathFrames.Preface.ToArray(), deadline.Token);
            byte[] preface = new byte[DataPathFrames.Preface.Length];
            await connection.ReceiveAsync(preface, deadline.Token);
            if (!preface.AsSpan().SequenceEqual(DataPathFrames.Preface)) throw new IOException($"{host}:{port} does not speak the data path protocol");
            return connection;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            connection.Dispose();
            if (e is OperationCanceledException && cancellation.IsCancellationRequested) throw;
            throw e as IOException ?? new IOException($"data path {host}:{port}: {(e is OperationCanceledException ? "no answer in time" : e.Message)}", e);
        }
    }

    /// <summary>
    /// One Forward call. <paramref name="maxReplyBytes"/> bounds the reply frame the worker may send (a bigger one is a
    /// broken or hostile peer); <paramref name="timeout"/> bounds the whole call.
    /// </summary>
    public async Task<ForwardReply> ForwardAsync(ForwardRequest request, int maxReplyBytes, TimeSpan timeout, CancellationToken cancellation)
    {
        ReadOnlyMemory<byte> body = await CallAsync(DataPathFrames.Request(DataPathFrames.ForwardKind, request), maxReplyBytes, timeout, cancellation);
        try
        {
            return ForwardReply.Parser.ParseFrom(body.Span);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new IOException($"the worker's reply is not a ForwardReply: {e.Message}", e);
        }
    }

    /// <summary>A ping: the round trip of the smallest exchange, the hop a pipeline step pays on top of its compute.</summary>
    public async Task PingAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        ReadOnlyMemory<byte> body = await CallAsync(DataPathFrames.PingRequest(), 1, timeout, cancellation);
        if (!body.IsEmpty) throw new IOException($"the worker answered a ping with {body.Length} bytes");
    }

    /// <summary>Sends a request frame and returns the reply's payload after an OK status.</summary>
    private async Task<ReadOnlyMemory<byte>> CallAsync(byte[] request, int maxReplyBytes, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await _socket.SendAsync(request, deadline.Token);
            await ReceiveAsync(_header, deadline.Token);
            int length = DataPathFrames.BodyLength(_header, Math.Max(maxReplyBytes, 1 + DataPathFrames.MaxErrorBytes));
            if (length < 0) throw new IOException($"the worker announced a reply of {BinaryPrimitives.ReadInt32BigEndian(_header)} bytes; at most {maxReplyBytes} expected");
            if (_body.Length < length) _body = new byte[length];
            Memory<byte> body = _body.AsMemory(0, length);
            await ReceiveAsync(body, deadline.Token);
            byte status = body.Span[0];
            if (!DataPathFrames.IsStatus(status)) throw new IOException($"the worker answered with status byte {status}, not a gRPC status");
            if (status != (byte)StatusCode.OK) throw new RpcException(new Status((StatusCode)status, Encoding.UTF8.GetString(body.Span[1..])));
            return body[1..];
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            throw new IOException(e is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:F0} s" : e.Message, e);
        }
    }

    private async Task ReceiveAsync(Memory<byte> buffer, CancellationToken cancellation)
    {
        while (buffer.Length > 0)
        {
            int read = await _socket.ReceiveAsync(buffer, cancellation);
            if (read == 0) throw new IOException("the worker closed the data path connection");
            buffer = buffer[read..];
        }
    }

    public void Dispose() => _socket.Dispose();
}
