using System.Runtime.CompilerServices;
using System.Text;

namespace DePinLedger.Cli.Output;

/// <summary>Reads the coordinator's server-sent events: each <c>data:</c> line with the name of the <c>event:</c> line before it.</summary>
internal static class ServerSentEvents
{
    public static async IAsyncEnumerable<(string Event, string Data)> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellation)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string name = "message";
        while (await reader.ReadLineAsync(cancellation) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) yield return (name, line[6..]);
        }
    }
}
