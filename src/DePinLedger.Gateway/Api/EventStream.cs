using System.Threading.Channels;
using DePinLedger.Gateway.Jobs;
using Microsoft.AspNetCore.Http;

namespace DePinLedger.Gateway.Api;

/// <summary>A job's events as a server-sent event stream: every token so far, the live ones, then the final event.</summary>
internal static class EventStream
{
    /// <summary>
    /// Writes each event as <paramref name="frame"/> renders it (a complete SSE frame, blank line included), flushing
    /// after each, then <paramref name="trailer"/>; returns when the job has finished or the client went away.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, CoordinatedJob job, Func<JobEvent, string> frame, string? trailer = null)
    {
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        ChannelReader<JobEvent> events = job.Subscribe();
        try
        {
            await foreach (JobEvent e in events.ReadAllAsync(context.RequestAborted))
            {
                await response.WriteAsync(frame(e), context.RequestAborted);
                await response.Body.FlushAsync(context.RequestAborted);
            }
            if (trailer is not null) await response.WriteAsync(trailer, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the job itself runs on.
        }
        finally
        {
            job.Unsubscribe(events);
        }
    }
}
