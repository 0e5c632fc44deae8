using DePinLedger.Chain.Tests.Support;

namespace DePinLedger.Cli.Tests;

/// <summary>
/// The operator's whole flow through <c>depin wallet</c> and <c>depin node</c> against a private anvil with the real
/// contracts: import a key, register, stake, unbond, withdraw too early (refused), time passes, withdraw.
/// </summary>
public sealed class OperatorCommandsTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private AnvilChain _anvil = null!;
    private string _deployment = "";
    private string _keystore = "";
    private string _passphrase = "";

    public async Task InitializeAsync()
    {
        _anvil = await AnvilChain.StartAsync();
        _deployment = _folder.File("31337.json");
        _anvil.Deployment.Save(_deployment);
        _keystore = _folder.File("keystore");
        _passphrase = _folder.File("pass.txt");
        File.WriteAllText(_passphrase, "operator passphrase\n");
        await _anvil.MintAsync(AnvilChain.DevAddress(1), 5_000);
    }

    public async Task DisposeAsync()
    {
        await _anvil.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public void Wallet_Import_List_Address()
    {
        Import(1).AssertOk();
        string mnemonic = _folder.File("m.txt");
        File.WriteAllText(mnemonic, AnvilChain.DevMnemonic);
        CliResult imported = Cli.Run("wallet", "import", "--mnemonic-file", mnemonic, "--index", "2", "--accounts", "2", "--scrypt-n", "1024",
            "--keystore", _keystore, "--passphrase-file", _passphrase, "--json");

        CliResult list = Cli.Run("wallet", "list", "--keystore", _keystore);
        CliResult address = Cli.Run("wallet", "address", "--keystore", _keystore, "--account", "2");

        imported.AssertOk();
        Assert.Equal("m/44'/60'/0'/0/2", imported.Json().GetProperty("accounts")[0].GetProperty("derivation_path").GetString());
        Assert.Contains(AnvilChain.DevAddress(1), list.Out);
        Assert.Contains(AnvilChain.DevAddress(3), list.Out);
        Assert.Equal(AnvilChain.DevAddress(3) + "\n", address.Out);
        Assert.DoesNotContain("junk", imported.Out + list.Out);
    }

    [Fact]
    public void Wallet_New_MnemonicOnlyWhenAsked()
    {
        CliResult hidden = Cli.Run("wallet", "new", "--words", "12", "--scrypt-n", "1024", "--keystore", _keystore, "--passphrase-file", _passphrase);
        string backup = _folder.File("backup.txt");
        CliResult saved = Cli.Run("wallet", "new", "--words", "12", "--scrypt-n", "1024", "--keystore", _folder.File("k2"), "--passphrase-file", _passphrase, "--mnemonic-out", backup, "--json");
        CliResult shown = Cli.Run("wallet", "new", "--words", "12", "--scrypt-n", "1024", "--keystore", _folder.File("k3"), "--passphrase-file", _passphrase, "--show-mnemonic", "--json");

        hidden.AssertOk();
        Assert.DoesNotContain("mnemonic:", hidden.Out);
        Assert.Contains("not shown", hidden.Out);
        Assert.Equal(12, File.ReadAllText(backup).Trim().Split(' ').Length);
        Assert.False(saved.Json().TryGetProperty("mnemonic", out System.Text.Json.JsonElement m) && m.ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.Equal(12, shown.Json().GetProperty("mnemonic").GetString()!.Split(' ').Length);
    }

    [Fact]
    public void Wallet_Import_BadChecksum_OneErrorLine()
    {
        string mnemonic = _folder.File("bad.txt");
        File.WriteAllText(mnemonic, "test test test test test test test test test test test test");

        Cli.Run("wallet", "import", "--mnemonic-file", mnemonic, "--keystore", _keystore, "--passphrase-file", _passphrase)
            .AssertFailed(1, "checksum is wrong");
    }

    [Fact]
    public void Node_WrongPassphrase_Refused()
    {
        Import(1).AssertOk();
        string wrong = _folder.File("wrong.txt");
        File.WriteAllText(wrong, "nope");

        Node("stake", "1000", "--passphrase-file", wrong).AssertFailed(1, "wrong passphrase");
    }

    [Fact]
    public async Task Node_FullOperatorFlow()
    {
        Import(1).AssertOk();

        CliResult register = Node("register", "--endpoint", "https://node.example:7443", "--memory-mib", "24576", "--compute-gops", "300000", "--region", "276");
        CliResult belowMinimum = Node("stake", "10");
        CliResult stake = Node("stake", "1500", "--json");
        CliResult unbond = Node("unbond", "400.5", "--json");
        CliResult tooEarly = Node("withdraw");
        await _anvil.WarpAsync(TimeSpan.FromDays(14) + TimeSpan.FromSeconds(1));
        CliResult withdraw = Node("withdraw", "--json");
        CliResult status = Cli.Run("node", "status", "--rpc", _anvil.Rpc.ToString(), "--deployment", _deployment, "--keystore", _keystore, "--json");
        CliResult table = Cli.Run("node", "status", "--rpc", _anvil.Rpc.ToString(), "--deployment", _deployment, "--keystore", _keystore);

        register.AssertOk();
        Assert.Contains("register: done", register.Out);
        belowMinimum.AssertFailed(1, "below minimum stake: the node would have 10 DPIN active, the minimum is 1000 DPIN");
        Assert.Equal("1500", stake.Json().GetProperty("active_stake").GetString());
        Assert.Equal("1099.5", unbond.Json().GetProperty("active_stake").GetString());
        tooEarly.AssertFailed(1, "still unbonding: nothing to withdraw");
        Assert.Equal("400.5", withdraw.Json().GetProperty("amount").GetString());
        System.Text.Json.JsonElement s = status.Json();
        Assert.True(s.GetProperty("eligible").GetBoolean());
        Assert.Equal("1099.5", s.GetProperty("active_stake").GetString());
        Assert.Equal("3900.5", s.GetProperty("operator_balance").GetString());
        Assert.Equal(24576u, s.GetProperty("memory_mib").GetUInt32());
        Assert.Contains("1099.5 DPIN", table.Out);
        Assert.Contains("https://node.example:7443", table.Out);
    }

    [Fact]
    public void Node_StatusOfAnyNode_NeedsNoKeystore()
    {
        Import(1).AssertOk();
        Node("register", "--endpoint", "https://a").AssertOk();

        CliResult status = Cli.Run("node", "status", "--node", AnvilChain.DevAddress(1), "--rpc", _anvil.Rpc.ToString(), "--deployment", _deployment,
            "--keystore", _folder.File("empty"), "--json");

        status.AssertOk();
        Assert.True(status.Json().GetProperty("registered").GetBoolean());
        Assert.False(status.Json().GetProperty("eligible").GetBoolean());
    }

    [Fact]
    public void Node_StakeNotRegistered_Refused()
    {
        Import(1).AssertOk();

        Node("stake", "1000").AssertFailed(1, "is not registered (run 'depin node register' first)");
    }

    [Fact]
    public void Node_StakeMoreThanBalance_Refused()
    {
        Import(1).AssertOk();
        Node("register", "--endpoint", "https://a").AssertOk();

        Node("stake", "9000").AssertFailed(1, "insufficient balance");
    }

    [Fact]
    public void Node_UnreachableRpc_ClearError()
    {
        Import(1).AssertOk();

        Cli.Run("node", "status", "--rpc", "http://127.0.0.1:9", "--deployment", _deployment, "--keystore", _keystore)
            .AssertFailed(1, "cannot reach the chain at http://127.0.0.1:9/");
    }

    [Fact]
    public void Node_DeploymentForAnotherChain_ClearError()
    {
        Import(1).AssertOk();
        string other = _folder.File("1.json");
        (_anvil.Deployment with { ChainId = 1 }).Save(other);

        Cli.Run("node", "status", "--rpc", _anvil.Rpc.ToString(), "--deployment", other, "--keystore", _keystore)
            .AssertFailed(1, "serves chain 31337, but the deployment is for chain 1");
    }

    [Fact]
    public void Node_BadAmount_UsageError()
    {
        Import(1).AssertOk();

        Node("stake", "1e3").AssertFailed(2, "'1e3' is not an amount");
    }

    [Fact]
    public void Node_PassphraseIsNeverAnArgument() =>
        Cli.Run("node", "stake", "1", "--passphrase", "secret").AssertFailed(2, "unrecognized command or argument '--passphrase'");

    private CliResult Import(int devAccount)
    {
        string key = _folder.File($"key{devAccount}.txt");
        File.WriteAllText(key, Convert.ToHexStringLower(AnvilChain.DevKey(devAccount)));
        return Cli.Run("wallet", "import", "--private-key-file", key, "--scrypt-n", "1024", "--keystore", _keystore, "--passphrase-file", _passphrase);
    }

    private CliResult Node(string verb, params string[] args) =>
        Cli.Run(["node", verb, .. args, "--rpc", _anvil.Rpc.ToString(), "--deployment", _deployment, "--keystore", _keystore,
            .. args.Contains("--passphrase-file") ? Array.Empty<string>() : ["--passphrase-file", _passphrase]]);
}

internal static class CliResultExtensions
{
    public static void AssertOk(this CliResult result) => Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Error}");
}
