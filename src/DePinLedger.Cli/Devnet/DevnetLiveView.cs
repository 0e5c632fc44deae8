using System.Globalization;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Tokens;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DePinLedger.Cli.Devnet;

/// <summary>
/// What a person watching the devnet in a terminal sees, redrawn in place (Spectre.Console live display): the job being
/// streamed token by token, the finished jobs (replicas agreeing or not, the dispute and its verdict), every node's
/// stake and reputation, and the latest events. It only holds state; <see cref="ShowAsync{T}"/> redraws it while the
/// devnet runs. Scripts and CI get the plain event lines instead (the devnet command decides).
/// </summary>
internal sealed class DevnetLiveView
{
    /// <summary>Event lines kept on screen.</summary>
    public const int EventLines = 8;

    private readonly Lock _gate = new();
    private readonly Queue<string> _events = new();
    private readonly List<DevnetJob> _finished = [];
    private IReadOnlyList<DevnetNode> _nodes = [];
    private Bytes32? _streamingJob;
    private string _streamingText = "";

    public void Event(string line)
    {
        lock (_gate)
        {
            _events.Enqueue(line);
            while (_events.Count > EventLines) _events.Dequeue();
        }
    }

    public void Streaming(Bytes32 job, string text)
    {
        lock (_gate)
        {
            if (_streamingJob != job) (_streamingJob, _streamingText) = (job, "");
            _streamingText += text;
        }
    }

    public void Finished(DevnetJob job)
    {
        lock (_gate)
        {
            _finished.Add(job);
            if (_streamingJob == job.JobId) _streamingJob = null;
        }
    }

    public void Nodes(IReadOnlyList<DevnetNode> nodes)
    {
        lock (_gate) _nodes = nodes;
    }

    /// <summary>The whole screen as it stands now.</summary>
    public IRenderable Build()
    {
        lock (_gate)
        {
            // Most telling first: a terminal shorter than the view loses the bottom (the node table), never the stream.
            var rows = new List<IRenderable>();
            if (_streamingJob is { } job)
                rows.Add(new Panel(new Text(Tail(_streamingText.ReplaceLineEndings(" "), 400))).Header($"streaming job {Short(job)}").Border(BoxBorder.Rounded).Expand());
            rows.Add(new Panel(new Text(string.Join('\n', _events))).Header("events").Border(BoxBorder.Rounded).Expand());
            rows.Add(DevnetTables.Jobs(_finished));
            if (_nodes.Count > 0) rows.Add(DevnetTables.Nodes(_nodes, compact: true));
            return new Rows(rows);
        }
    }

    /// <summary>Runs <paramref name="body"/> while <paramref name="console"/> redraws the view a few times a second.</summary>
    public async Task<T> ShowAsync<T>(IAnsiConsole console, Func<Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(body);
        return await console.Live(Build()).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).Cropping(VerticalOverflowCropping.Bottom).StartAsync(async live =>
        {
            Task<T> running = body();
            while (await Task.WhenAny(running, Task.Delay(TimeSpan.FromMilliseconds(200))) != running)
            {
                live.UpdateTarget(Build());
                live.Refresh();
            }
            live.UpdateTarget(Build());
            live.Refresh();
            return await running;
        });
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : "…" + text[^(length - 1)..];

    private static string Short(Bytes32 id) => id.ToString()[..10] + "…";
}

/// <summary>The devnet's job and node tables: the live view and the closing summary show the same columns.</summary>
internal static class DevnetTables
{
    public static Table Jobs(IEnumerable<DevnetJob> jobs)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("jobs")
            .AddColumn("job").AddColumn("replicas").AddColumn("status").AddColumn("tokens").AddColumn("replicas agree").AddColumn("dispute").AddColumn("text");
        foreach (DevnetJob j in jobs)
            table.AddRow(Markup.Escape(j.JobId.ToString()[..10] + "…"), j.Replicas.ToString(CultureInfo.InvariantCulture), Markup.Escape(j.Status),
                j.Tokens.ToString(CultureInfo.InvariantCulture), Markup.Escape(j.Replicas < 2 ? "-" : j.Divergence is null ? "yes" : "no, from " + j.Divergence),
                Markup.Escape(j.Dispute ?? "-"), Markup.Escape(Shorten(j.Prompt + j.Text, 60)));
        return table;
    }

    /// <summary>With <paramref name="compact"/>, addresses are shortened to fit a terminal.</summary>
    public static Table Nodes(IEnumerable<DevnetNode> nodes, bool compact = false)
    {
        string Address(string address) => compact && address.Length > 12 ? address[..10] + "…" : address;
        var table = new Table().Border(TableBorder.Rounded).Title("nodes")
            .AddColumn("node").AddColumn("operator").AddColumn("region").AddColumn("layers").AddColumn("active stake").AddColumn("reputation").AddColumn("fault");
        foreach (DevnetNode n in nodes)
            table.AddRow(Markup.Escape(Address(n.Node)), Markup.Escape(Address(n.Operator)), n.Region.ToString(CultureInfo.InvariantCulture), n.Span,
                Markup.Escape(TokenAmount.Dpin(n.Stake)),
                n.Reputation is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "-", n.Faulty ? "noise" : "-");
        return table;
    }

    private static string Shorten(string text, int length)
    {
        string line = text.ReplaceLineEndings(" ");
        return line.Length <= length ? line : line[..(length - 1)] + "…";
    }
}
