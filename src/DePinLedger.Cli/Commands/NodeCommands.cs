using System.CommandLine;
using System.Globalization;
using System.Numerics;
using DePinLedger.Chain.Operators;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using DePinLedger.Protocol.Tokens;
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin node register|update|stake|unbond|withdraw|status</c>: the operator's commands against StakeManager. Each
/// verb parses, unlocks the account and calls <see cref="NodeOperator"/>, which does the checks and the sending.
/// </summary>
internal static class NodeCommands
{
    /// <summary>Environment variable with the default RPC endpoint.</summary>
    public const string RpcVariable = "DEPIN_RPC";

    internal sealed record TransactionReport(string Action, string Node, string Transaction, ulong Block, string Amount, string ActiveStake, string Symbol, string? ReleaseAt);

    internal sealed record UnbondingReport(string Amount, string StartedAt, string ReleaseAt, bool Released);

    internal sealed record StatusReport(
        string Node, bool Registered, string? Operator, string? RegisteredAt, bool Eligible, string ActiveStake, string UnbondingStake, string Withdrawable,
        string MinStake, uint FreezeCount, string Endpoint, uint MemoryMib, uint ComputeGops, uint BandwidthMbps, ushort Region,
        IReadOnlyList<UnbondingReport> Unbondings, string OperatorBalance, string Allowance, string Symbol, int Decimals, string ChainTime);

    public static Command Create(CliContext context) =>
        new Command("node", "Register a node, stake, unbond and withdraw (StakeManager), and show a node's status")
        {
            Register(context),
            Update(context),
            Stake(context),
            Unbond(context),
            Withdraw(context),
            Status(context),
        }.WithExamples(
            "depin node register --endpoint https://node.example:7443 --memory-mib 24576 --passphrase-file pass.txt",
            "depin node stake 1000 --passphrase-file pass.txt",
            "depin node status");

    private static Command Register(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        (Option<string> endpoint, Option<uint> memory, Option<uint> compute, Option<uint> bandwidth, Option<ushort> region) = HardwareOptions();
        Option<string> nodeAccount = new("--node-account")
        {
            Description = "Keystore account whose address is the node id (it signs its consent); default: the operator account itself",
            HelpName = "ADDRESS|INDEX",
        };
        var command = new Command("register", "Register a node (the operator's own address, or --node-account's) with its endpoint and hardware")
        {
            endpoint, memory, compute, bandwidth, region, nodeAccount,
        };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            NodeOperator op = await connection.OperatorAsync(parsed, unlock: true, cancellation);
            NodeKey? nodeKey = null;
            if (parsed.GetValue(nodeAccount) is { } selector)
            {
                KeystoreAccount nodeFile = OpenKeystore(parsed.GetValue(connection.Keystore)).Find(selector);
                nodeKey = Chain.Wallet.Keystore.Unlock(nodeFile, ReadPassphrase(parsed.GetValue(connection.PassphraseFile), parsed.GetValue(connection.PassphraseEnv), $"unlock node key {nodeFile.Address}"));
            }
            var hardware = new Hardware(parsed.GetValue(memory), parsed.GetValue(compute), parsed.GetValue(bandwidth), parsed.GetValue(region));
            OperationResult result = await op.RegisterAsync(nodeKey, parsed.GetRequiredValue(endpoint), hardware, Progress(context), cancellation);
            WriteResult(context, "register", op, result, parsed.GetValue(connection.Json));
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin node register --endpoint https://node.example:7443 --memory-mib 24576 --compute-gops 300000 --passphrase-file pass.txt");
    }

    private static Command Update(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        (Option<string> endpoint, Option<uint> memory, Option<uint> compute, Option<uint> bandwidth, Option<ushort> region) = HardwareOptions();
        Option<string> node = NodeOption();
        var command = new Command("update", "Replace a node's endpoint and hardware profile") { endpoint, memory, compute, bandwidth, region, node };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            NodeOperator op = await connection.OperatorAsync(parsed, unlock: true, cancellation);
            var hardware = new Hardware(parsed.GetValue(memory), parsed.GetValue(compute), parsed.GetValue(bandwidth), parsed.GetValue(region));
            OperationResult result = await op.UpdateAsync(parsed.GetValue(node) ?? op.Operator, parsed.GetRequiredValue(endpoint), hardware, Progress(context), cancellation);
            WriteResult(context, "update", op, result, parsed.GetValue(connection.Json));
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin node update --endpoint https://new.example:7443 --memory-mib 49152 --passphrase-file pass.txt");
    }

    private static Command Stake(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        Argument<string> amount = AmountArgument("Tokens to bond (e.g. 1000 or 250.5); the StakeManager is approved for them first when needed");
        Option<string> node = NodeOption();
        Option<bool> belowMinimum = new("--allow-below-minimum") { Description = "Stake even when the node's active stake stays below the minimum (it will not be scheduled)" };
        var command = new Command("stake", "Bond tokens to a node (approving the StakeManager first when the allowance is short)") { amount, node, belowMinimum };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            NodeOperator op = await connection.OperatorAsync(parsed, unlock: true, cancellation);
            BigInteger units = ParseAmount(parsed.GetRequiredValue(amount), op.Token);
            OperationResult result = await op.StakeAsync(parsed.GetValue(node) ?? op.Operator, units, parsed.GetValue(belowMinimum), Progress(context), cancellation);
            WriteResult(context, "stake", op, result, parsed.GetValue(connection.Json));
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin node stake 1000 --passphrase-file pass.txt", "depin node stake 250.5 --node 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json");
    }

    private static Command Unbond(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        Argument<string> amount = AmountArgument("Tokens to move from active stake into unbonding");
        Option<string> node = NodeOption();
        var command = new Command("unbond", "Start unbonding stake; it can be withdrawn after the unbonding delay") { amount, node };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            NodeOperator op = await connection.OperatorAsync(parsed, unlock: true, cancellation);
            BigInteger units = ParseAmount(parsed.GetRequiredValue(amount), op.Token);
            OperationResult result = await op.UnbondAsync(parsed.GetValue(node) ?? op.Operator, units, Progress(context), cancellation);
            WriteResult(context, "unbond", op, result, parsed.GetValue(connection.Json));
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin node unbond 400 --passphrase-file pass.txt");
    }

    private static Command Withdraw(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        Option<string> node = NodeOption();
        var command = new Command("withdraw", "Pay out every unbonding entry whose delay has passed") { node };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            NodeOperator op = await connection.OperatorAsync(parsed, unlock: true, cancellation);
            OperationResult result = await op.WithdrawAsync(parsed.GetValue(node) ?? op.Operator, Progress(context), cancellation);
            WriteResult(context, "withdraw", op, result, parsed.GetValue(connection.Json));
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin node withdraw --passphrase-file pass.txt");
    }

    private static Command Status(CliContext context)
    {
        var connection = new ChainConnectionOptions();
        Option<string> node = NodeOption();
        var command = new Command("status", "Show a node's registration, stake, unbonding entries and the operator's balance (no passphrase needed)") { node };
        connection.AddTo(command);
        command.SetAction((parsed, cancellation) => RunAsync(context, async () =>
        {
            NodeOperator op = await connection.OperatorAsync(parsed, unlock: false, cancellation);
            string id = parsed.GetValue(node) ?? connection.Address(parsed);
            NodeStatus s = await op.StatusAsync(id, cancellation);
            TokenInfo t = s.Token;
            var report = new StatusReport(
                s.Node, s.Registered, s.Operator, s.RegisteredAt?.ToString("u", CultureInfo.InvariantCulture), s.Eligible,
                t.Amount(s.ActiveStake).ToString(), t.Amount(s.UnbondingStake).ToString(), t.Amount(s.Withdrawable).ToString(), t.Amount(s.MinStake).ToString(),
                s.FreezeCount, s.Endpoint, s.Hardware.MemoryMiB, s.Hardware.ComputeGops, s.Hardware.BandwidthMBps, s.Hardware.RegionCode,
                [.. s.Unbondings.Select(u => new UnbondingReport(t.Amount(u.Amount).ToString(), u.StartedAt.ToString("u", CultureInfo.InvariantCulture), u.ReleaseAt.ToString("u", CultureInfo.InvariantCulture), u.Released))],
                t.Amount(s.OperatorBalance).ToString(), t.Amount(s.Allowance).ToString(), t.Symbol, t.Decimals, s.ChainTime.ToString("u", CultureInfo.InvariantCulture));
            if (parsed.GetValue(connection.Json))
            {
                WriteJson(context.Out, report);
                return ExitCodes.Success;
            }
            Render(context.Out, Properties(
                ("node", s.Node),
                ("registered", s.Registered ? $"yes, by {s.Operator} at {report.RegisteredAt}" : "no"),
                ("eligible", s.Eligible ? "yes" : $"no (needs {t.Format(s.MinStake)} active)"),
                ("active stake", t.Format(s.ActiveStake)),
                ("unbonding", t.Format(s.UnbondingStake)),
                ("withdrawable now", t.Format(s.Withdrawable)),
                ("open disputes", s.FreezeCount.ToString(CultureInfo.InvariantCulture)),
                ("endpoint", s.Endpoint),
                ("hardware", $"{s.Hardware.MemoryMiB} MiB, {s.Hardware.ComputeGops} GOPS, {s.Hardware.BandwidthMBps} MB/s, region {s.Hardware.RegionCode}"),
                ("operator balance", t.Format(s.OperatorBalance)),
                ("unbonding delay", $"{s.UnbondingDelay.TotalDays:0.##} days"),
                ("chain time", report.ChainTime)));
            if (s.Unbondings.Count > 0)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumn("amount").AddColumn("started").AddColumn("release").AddColumn("state");
                foreach (UnbondingReport u in report.Unbondings) table.AddRow($"{u.Amount} {t.Symbol}", u.StartedAt, u.ReleaseAt, u.Released ? "released" : "unbonding");
                Render(context.Out, table);
            }
            return ExitCodes.Success;
        }));
        return command.WithExamples("depin node status", "depin node status --node 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json");
    }

    private static (Option<string>, Option<uint>, Option<uint>, Option<uint>, Option<ushort>) HardwareOptions() =>
    (
        CommonOptions.Text("--endpoint", "Worker endpoint the scheduler reaches the node at", "URL", required: true),
        CommonOptions.Number<uint>("--memory-mib", "Accelerator (or host) memory for weights and KV cache, MiB", 0),
        CommonOptions.Number<uint>("--compute-gops", "Sustained int8 throughput, giga-operations per second", 0),
        CommonOptions.Number<uint>("--bandwidth-mbps", "Memory bandwidth, MB/s", 0),
        CommonOptions.Number<ushort>("--region", "Region, UN M.49 numeric code (e.g. 276 Germany)", 0)
    );

    private static Option<string> NodeOption()
    {
        var option = new Option<string>("--node") { Description = "Node id (address) [default: the account's own address]", HelpName = "ADDRESS" };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !AddressText.IsValid(result.Tokens[0].Value)) result.AddError($"--node expects an address (0x and 40 hex digits), got '{result.Tokens[0].Value}'");
        });
        return option;
    }

    private static Argument<string> AmountArgument(string description)
    {
        var argument = new Argument<string>("AMOUNT") { Description = description };
        argument.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !TokenAmount.TryParse(result.Tokens[0].Value, 255, out _, out string? problem)) result.AddError(problem!);
        });
        return argument;
    }

    private static BigInteger ParseAmount(string text, TokenInfo token) =>
        TokenAmount.TryParse(text, token.Decimals, out TokenAmount amount, out string? problem) ? amount.Units : throw new UsageException(problem!);

    private static void WriteResult(CliContext context, string action, NodeOperator op, OperationResult r, bool json)
    {
        TokenInfo t = op.Token;
        var report = new TransactionReport(action, r.Node, r.Hash, r.Block, t.Amount(r.Amount).ToString(), t.Amount(r.ActiveStake).ToString(), t.Symbol,
            r.ReleaseAt?.ToString("u", CultureInfo.InvariantCulture));
        if (json)
        {
            WriteJson(context.Out, report);
            return;
        }
        var rows = new List<(string, string)> { ("node", r.Node), ("transaction", r.Hash), ("block", r.Block.ToString(CultureInfo.InvariantCulture)) };
        if (action is "stake" or "unbond" or "withdraw") rows.Add(("amount", t.Format(r.Amount)));
        if (action is not "register") rows.Add(("active stake", t.Format(r.ActiveStake)));
        if (report.ReleaseAt is not null) rows.Add(("withdrawable from", report.ReleaseAt));
        context.Out.WriteLine($"{action}: done");
        Render(context.Out, Properties([.. rows]));
    }
}
