using System.Diagnostics;
using DePinLedger.Worker.Contracts;
using Grpc.Net.Client;

namespace DePinLedger.Pipeline;

/// <summary>Round trips of the smallest call to a worker, in milliseconds, on the transport a pipeline would use.</summary>
public sealed record RoundTrips(bool DataPath, IReadOnlyList<double> Milliseconds)
{
    public double Mean => Milliseconds.Average();

    public double Median
    {
        get
        {
            double[] sorted = [.. Milliseconds.Order()];
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    /// <summary>
    /// Measures <paramref name="calls"/> round trips to the worker at <paramref name="endpoint"/>, each after
    /// <paramref name="gap"/> of silence (the worker's threads asleep again, as between a pipeline's steps; zero: back to
    /// back), after <paramref name="warmUps"/> unmeasured calls: data path pings when the worker offers a data path and
    /// <paramref name="dataPath"/> allows it, gRPC Info calls otherwise. <paramref name="timeout"/> bounds each call.
    /// </summary>
    public static async Task<RoundTrips> MeasureAsync(Uri endpoint, bool dataPath, int calls, TimeSpan gap, int warmUps, TimeSpan timeout, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        using var channel = GrpcChannel.ForAddress(endpoint);
        var client = new Worker.Contracts.Worker.WorkerClient(channel);
        InfoReply info = await client.InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: cancellation);
        using DataPathConnection? direct = dataPath && info.DataPort > 0
            ? await DataPathConnection.ConnectAsync(endpoint.IdnHost, info.DataPort, timeout, cancellation)
            : null;
        Func<Task> call = direct is null
            ? async () => await client.InfoAsync(new InfoRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: cancellation)
            : () => direct.PingAsync(timeout, cancellation);
        for (int i = 0; i < warmUps; i++) await call();
        var times = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            if (gap > TimeSpan.Zero) await Task.Delay(gap, cancellation);
            long started = Stopwatch.GetTimestamp();
            await call();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        return new RoundTrips(direct is not null, times);
    }
}
