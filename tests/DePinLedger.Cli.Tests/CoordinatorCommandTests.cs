namespace DePinLedger.Cli.Tests;

/// <summary>`depin coordinator` refuses a bad route before it touches the chain or the network.</summary>
public class CoordinatorCommandTests
{
    [Theory]
    [InlineData("0-1", "each stage looks like A-B=URL")]
    [InlineData("0-1=", "each stage looks like A-B=URL")]
    [InlineData("0-1=ftp://127.0.0.1:1", "'ftp://127.0.0.1:1' is not an http(s) URL")]
    [InlineData("0-1=http://127.0.0.1:1,3-4=http://127.0.0.1:2", "stage 3-4 should start at layer 2")]
    [InlineData("1-4=http://127.0.0.1:1", "stage 1-4 should start at layer 0")]
    [InlineData("0-2=http://127.0.0.1:1", "--route ends at layer 2; the model has layers 0-4")]
    [InlineData("x-1=http://127.0.0.1:1", "--route must look like A-B")]
    public void ABadRoute_IsAUsageError(string route, string message) =>
        Cli.Run("coordinator", "--model", Cli.Stories260K, "--route", route, "--rpc", "http://127.0.0.1:1").AssertFailed(2, message);

    [Fact]
    public void ABadCheckRoute_IsAUsageError() =>
        Cli.Run("coordinator", "--model", Cli.Stories260K, "--route", "0-4=http://127.0.0.1:1", "--check-route", "0-4=nowhere", "--rpc", "http://127.0.0.1:1")
            .AssertFailed(2, "--check-route: 'nowhere' is not an http(s) URL");
}
