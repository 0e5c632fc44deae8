using System.Collections.Concurrent;

namespace DePinLedger.Pipeline;

/// <summary>
/// The data path addresses a runner could not reach, so that a port a firewall drops costs one connect timeout per
/// <see cref="PipelineOptions.DataPathRetryAfter"/>, not one per stage of every job (those jobs use gRPC meanwhile).
/// </summary>
internal sealed class DataPathReachability(TimeSpan retryAfter, TimeProvider clock)
{
    private readonly ConcurrentDictionary<(string Host, int Port), DateTimeOffset> _unreachable = new();

    /// <summary>Whether to try connecting: never failed, or failed longer ago than the retry interval.</summary>
    public bool ShouldTry(string host, int port) =>
        !_unreachable.TryGetValue((host, port), out DateTimeOffset failed) || clock.GetUtcNow() - failed >= retryAfter;

    public void Failed(string host, int port) => _unreachable[(host, port)] = clock.GetUtcNow();

    public void Reached(string host, int port) => _unreachable.TryRemove((host, port), out _);
}
