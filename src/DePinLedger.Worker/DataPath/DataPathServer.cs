using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using DePinLedger.Worker.Contracts;
using DePinLedger.Worker.Hosting;
using DePinLedger.Worker.Serving;
using DePinLedger.Worker.Sessions;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DePinLedger.Worker.DataPath;

/// <summary>
/// The direct data path (worker.proto, <see cref="DataPathFrames"/>): Forward over plain TCP beside the gRPC server, with
/// the same handler. Each connection has its own thread blocked in a receive, so a request wakes exactly the thread
/// that computes it and the reply leaves from that thread: one wake-up per message, where an HTTP/2 call passes
/// through several threads that each must be woken (most of a pipeline hop's cost after the idle gap between steps).
/// </summary>
public sealed class DataPathServer(WorkerNode node, ForwardHandler forward, ILogger<DataPathServer> logger) : IHostedService, IDisposable
{
    /// <summary>Connections served at once (a thread each); more are closed at once, and the client uses gRPC instead.</summary>
    public const int MaxConnections = 128;

    /// <summary>Longest wait for the rest of a frame once it has begun, and for a send to drain.</summary>
    private static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> _connections = new();
    private Socket? _listener;

    /// <summary>The bound port; 0 while the data path is off or not started.</summary>
    public int Port { get; private set; }

    /// <summary>A frame's largest body: a full batch of hidden vectors plus room for the rest, as for gRPC's messages.</summary>
    public int MaxFrameBytes => WorkerLimits.MaxMessageBytes(node.Options, node.Model.Config);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (node.Options.DataPort is not { } port) return Task.CompletedTask;
        var address = IPAddress.Parse(node.Options.Host);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // "::" serves IPv4 clients too, as Kestrel's listener on the same address does.
            if (address.Equals(IPAddress.IPv6Any)) listener.DualMode = true;
            listener.Bind(new IPEndPoint(address, port));
            listener.Listen(MaxConnections);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new IOException($"the data path cannot listen on {address}:{port}: {e.Message}", e);
        }
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        new Thread(() => Accept(listener)) { IsBackground = true, Name = "depin data path accept" }.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        _listener?.Dispose();
        foreach (Socket connection in _connections.Keys) connection.Dispose();
    }

    private void Accept(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = listener.Accept();
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (_stopping.IsCancellationRequested) return;
                WorkerLog.DataPathAcceptFailed(logger, e.Message);
                Thread.Sleep(100); // e.g. out of file descriptors: do not spin
                continue;
            }
            if (_connections.Count >= MaxConnections)
            {
                connection.Dispose();
                continue;
            }
            _connections[connection] = 0;
            new Thread(() => Serve(connection)) { IsBackground = true, Name = "depin data path connection" }.Start();
        }
    }

    private void Serve(Socket socket)
    {
        try
        {
            socket.NoDelay = true;
            socket.SendTimeout = socket.ReceiveTimeout = (int)FrameTimeout.TotalMilliseconds;
            byte[] preface = new byte[DataPathFrames.Preface.Length];
            if (!Receive(socket, preface) || !preface.AsSpan().SequenceEqual(DataPathFrames.Preface)) return;
            socket.Send(DataPathFrames.Preface);
            byte[] header = new byte[DataPathFrames.HeaderBytes];
            byte[] body = new byte[1024];
            int idleMs = (int)Math.Min(int.MaxValue, node.Options.SessionIdleTimeout.TotalMilliseconds);
            while (!_stopping.IsCancellationRequested)
            {
                // Between frames the connection may idle as long as a session may; once a frame's first byte is in,
                // the rest of it (header included) must follow within the frame timeout.
                socket.ReceiveTimeout = idleMs;
                if (!Receive(socket, header.AsSpan(0, 1))) return;
                socket.ReceiveTimeout = (int)FrameTimeout.TotalMilliseconds;
                if (!Receive(socket, header.AsSpan(1))) return;
                int length = DataPathFrames.BodyLength(header, MaxFrameBytes);
                if (length < 0)
                {
                    // The stream cannot be trusted past a bad header: answer, then close.
                    socket.Send(DataPathFrames.Error(StatusCode.ResourceExhausted,
                        $"a request frame is 1..{MaxFrameBytes} bytes; this one announced {BinaryPrimitives.ReadInt32BigEndian(header)}"));
                    return;
                }
                if (body.Length < length) body = new byte[length];
                if (!Receive(socket, body.AsSpan(0, length))) return;
                socket.Send(Answer(body.AsSpan(0, length)));
            }
        }
        catch (SocketException)
        {
            // The client went away or stalled mid-frame: drop the connection, the sessions stay.
        }
        catch (ObjectDisposedException)
        {
            // Stopping.
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    /// <summary>The reply frame for one request body (kind byte and message).</summary>
    private byte[] Answer(ReadOnlySpan<byte> body)
    {
        if (body[0] == DataPathFrames.PingKind)
            return body.Length == 1 ? DataPathFrames.PingReply() : DataPathFrames.Error(StatusCode.InvalidArgument, "a ping carries nothing after its kind");
        if (body[0] != DataPathFrames.ForwardKind)
            return DataPathFrames.Error(StatusCode.Unimplemented, $"unknown request kind {body[0]}; this worker serves {DataPathFrames.ForwardKind} (Forward) and {DataPathFrames.PingKind} (ping)");
        ForwardRequest request;
        try
        {
            request = ForwardRequest.Parser.ParseFrom(body[1..]);
        }
        catch (InvalidProtocolBufferException e)
        {
            return DataPathFrames.Error(StatusCode.InvalidArgument, $"not a ForwardRequest: {e.Message}");
        }
        try
        {
            // Completes synchronously unless a fault delays the step or another call holds the session.
            return DataPathFrames.Reply(forward.HandleAsync(request, _stopping.Token).GetAwaiter().GetResult());
        }
        catch (RpcException e)
        {
            return DataPathFrames.Error(e.StatusCode, e.Status.Detail);
        }
        catch (OperationCanceledException)
        {
            return DataPathFrames.Error(StatusCode.Unavailable, "the worker is stopping");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // As the gRPC server does for a handler's bug: the caller gets a status, the log the details, the process lives on.
            WorkerLog.DataPathCallFailed(logger, e);
            return DataPathFrames.Error(StatusCode.Internal, "internal error in the worker (see its log)");
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed the connection.</summary>
    private static bool Receive(Socket socket, Span<byte> buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int read = socket.Receive(buffer[filled..]);
            if (read == 0) return false;
            filled += read;
        }
        return true;
    }

    public void Dispose()
    {
        _listener?.Dispose();
        _stopping.Dispose();
    }
}
