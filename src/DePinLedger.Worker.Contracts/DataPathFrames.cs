using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Grpc.Core;

namespace DePinLedger.Worker.Contracts;

/// <summary>
/// The direct data path's wire format (worker.proto, "Direct data path"): Forward calls over a plain TCP connection.
/// The client opens with the 8-byte preface, the worker answers with the same 8 bytes; then each request is one frame
/// (4-byte big-endian length N, then N bytes: a kind byte and a protobuf <see cref="ForwardRequest"/>) and each reply one
/// frame (length N, then a status byte: 0 and a protobuf <see cref="ForwardReply"/>, or a gRPC status code and a UTF-8 message).
/// A ping is kind 2 with nothing after it, answered by status 0 with nothing after it.
/// </summary>
public static class DataPathFrames
{
    /// <summary>Sent by both ends first; anything else is not this protocol.</summary>
    public static ReadOnlySpan<byte> Preface => "DPLDATA1"u8;

    public const int HeaderBytes = 4;

    /// <summary>A Forward call; the body is a ForwardRequest, the reply a ForwardReply. Unknown kinds are answered UNIMPLEMENTED.</summary>
    public const byte ForwardKind = 1;

    /// <summary>A ping: no body after the kind, a reply of status OK alone (round trips, liveness).</summary>
    public const byte PingKind = 2;

    /// <summary>Room in a reply frame for an error message.</summary>
    public const int MaxErrorBytes = 4096;

    /// <summary>A request frame: header, kind, message.</summary>
    public static byte[] Request(byte kind, IMessage message) => Frame(kind, message);

    /// <summary>A reply frame carrying the answer.</summary>
    public static byte[] Reply(IMessage message) => Frame((byte)StatusCode.OK, message);

    /// <summary>The ping request frame.</summary>
    public static byte[] PingRequest() => [0, 0, 0, 1, PingKind];

    /// <summary>The ping reply frame.</summary>
    public static byte[] PingReply() => [0, 0, 0, 1, (byte)StatusCode.OK];

    /// <summary>A reply frame carrying a failure (the message cut to <see cref="MaxErrorBytes"/>).</summary>
    public static byte[] Error(StatusCode code, string message)
    {
        if (code == StatusCode.OK) throw new ArgumentException("an error needs a status other than OK", nameof(code));
        byte[] text = Encoding.UTF8.GetBytes(message);
        int length = Math.Min(text.Length, MaxErrorBytes);
        byte[] frame = new byte[HeaderBytes + 1 + length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 1 + length);
        frame[HeaderBytes] = (byte)code;
        text.AsSpan(0, length).CopyTo(frame.AsSpan(HeaderBytes + 1));
        return frame;
    }

    /// <summary>The body length a header announces, or −1 when it is outside 1..<paramref name="max"/>.</summary>
    public static int BodyLength(ReadOnlySpan<byte> header, int max)
    {
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        return length >= 1 && length <= max ? length : -1;
    }

    /// <summary>Whether a reply's status byte is a gRPC status code (OK included).</summary>
    public static bool IsStatus(byte status) => status <= (byte)StatusCode.Unauthenticated;

    private static byte[] Frame(byte first, IMessage message)
    {
        int size = message.CalculateSize();
        byte[] frame = new byte[HeaderBytes + 1 + size];
        BinaryPrimitives.WriteInt32BigEndian(frame, 1 + size);
        frame[HeaderBytes] = first;
        message.WriteTo(frame.AsSpan(HeaderBytes + 1));
        return frame;
    }
}
