using DePinLedger.Cli.Devnet;
using DePinLedger.Protocol.Encoding;
using Spectre.Console;

namespace DePinLedger.Cli.Tests;

/// <summary>The devnet's live view: what it draws from the events, the streamed text, finished jobs and node standings.</summary>
public class DevnetLiveViewTests
{
    private static readonly Bytes32 First = Keccak.Hash("job one"), Second = Keccak.Hash("job two");

    private static (IAnsiConsole Console, StringWriter Output) Console()
    {
        var output = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return (console, output);
    }

    private static string Draw(DevnetLiveView view)
    {
        (IAnsiConsole console, StringWriter output) = Console();
        console.Write(view.Build());
        return output.ToString();
    }

    [Fact]
    public void Build_ShowsTheStreamingJob_FinishedJobs_Nodes_AndTheLatestEvents()
    {
        var view = new DevnetLiveView();
        for (int i = 0; i < DevnetLiveView.EventLines + 3; i++) view.Event($"event number {i}");
        view.Finished(new DevnetJob(First, "Once upon a time", 2, "submitted", 8, " there was a dog", "leaf 31 (position 4, slot 3)", null) { Dispute = "ChallengerWon (dispute 1, replica 0 wrong)" });
        view.Streaming(Second, " Lily");
        view.Streaming(Second, " went");
        view.Nodes([
            new DevnetNode("0xAbC0000000000000000000000000000000000001", "0xOp1", "0-1", 1, Faulty: false, 1_000 * System.Numerics.BigInteger.Pow(10, 18)) { Reputation = 0.71 },
            new DevnetNode("0xAbC0000000000000000000000000000000000002", "0xOp2", "2-3", 2, Faulty: true, 0) { Reputation = 0 },
        ]);

        string screen = Draw(view);

        Assert.Contains($"streaming job {Second.ToString()[..10]}…", screen);
        Assert.Contains("Lily went", screen);
        Assert.Contains(First.ToString()[..10] + "…", screen);
        Assert.Contains("no, from leaf 31 (position 4, slot 3)", screen);
        Assert.Contains("ChallengerWon (dispute 1, replica 0 wrong)", screen);
        Assert.Contains("1000 DPIN", screen);
        Assert.Contains("0.71", screen);
        Assert.Contains("noise", screen);
        // Only the latest events stay on screen ("event number 2" is no part of "event number 12").
        Assert.DoesNotContain("event number 2", screen);
        Assert.Contains($"event number {DevnetLiveView.EventLines + 2}", screen);
        Assert.Contains("event number 3", screen);
    }

    [Fact]
    public void Finished_EndsTheStreamingPanelOfThatJob()
    {
        var view = new DevnetLiveView();
        view.Streaming(First, " The end");
        view.Finished(new DevnetJob(First, "Once", 1, "submitted", 2, " The end", null, null));

        Assert.DoesNotContain("streaming job", Draw(view));
    }

    [Fact]
    public async Task ShowAsync_ReturnsTheBodysResult_AndDrawsWhatHappenedMeanwhile()
    {
        var view = new DevnetLiveView();
        (IAnsiConsole console, StringWriter output) = Console();

        int result = await view.ShowAsync(console, async () =>
        {
            view.Event("the coordinator is up");
            await Task.Delay(50);
            return 42;
        });

        Assert.Equal(42, result);
        Assert.Contains("the coordinator is up", output.ToString());
    }

    [Fact]
    public async Task ShowAsync_AFailingBody_PropagatesItsException()
    {
        var view = new DevnetLiveView();
        (IAnsiConsole console, _) = Console();

        var e = await Assert.ThrowsAsync<IOException>(() => view.ShowAsync<int>(console, () => throw new IOException("anvil died")));
        Assert.Equal("anvil died", e.Message);
    }
}
