using System.CommandLine;
using DePinLedger.Chain.Wallet;
using DePinLedger.Cli.CommandLine;
using Spectre.Console;
using static DePinLedger.Cli.Commands.ChainCommandSupport;

namespace DePinLedger.Cli.Commands;

/// <summary>
/// <c>depin wallet new|import|list|address</c>: the operator's HD wallet (BIP-39, m/44'/60'/0'/0/i) kept as encrypted
/// keystore files. Mnemonics and private keys are read from files, environment variables or a prompt and are printed
/// only on an explicit request (<c>--show-mnemonic</c>).
/// </summary>
internal static class WalletCommands
{
    /// <summary>Words of a new mnemonic (24 = 256 bits of entropy).</summary>
    public const int DefaultWords = 24;

    /// <summary>Accounts derived into the keystore by new and import (indices from --index on).</summary>
    public const int DefaultAccounts = 1;

    internal sealed record AccountsReport(string Keystore, IReadOnlyList<AccountEntry> Accounts, string? Mnemonic = null);

    internal sealed record AccountEntry(int Index, string Address, string File, string? DerivationPath = null);

    internal sealed record AddressReport(string Address, int Index);

    public static Command Create(CliContext context) =>
        new Command("wallet", "Create, import and list the operator's accounts (encrypted keystore files)")
        {
            New(context),
            Import(context),
            List(context),
            Address(context),
        }.WithExamples(
            "depin wallet new --mnemonic-out ~/backup/mnemonic.txt",
            "depin wallet import --mnemonic-file mnemonic.txt --passphrase-file pass.txt",
            "depin wallet list");

    private static Command New(CliContext context)
    {
        Option<string> keystore = Keystore();
        Option<int> words = CommonOptions.Number("--words", "Words of the new mnemonic, 12 or 24", DefaultWords, n => n is 12 or 24 ? null : $"must be 12 or 24, got {n}");
        Option<int> accounts = CommonOptions.Number("--accounts", "Accounts to derive into the keystore (m/44'/60'/0'/0/0 onwards)", DefaultAccounts, n => CommonOptions.AtLeast(n, 1));
        Option<string> mnemonicOut = CommonOptions.OutputFile("--mnemonic-out", "Write the mnemonic to this new file (owner-only) as the backup");
        mnemonicOut.Required = false;
        Option<bool> show = new("--show-mnemonic") { Description = "Print the mnemonic (only do this on a screen nobody else sees)" };
        Option<int> scryptN = ScryptN();
        Option<string> passFile = PassphraseFile();
        Option<string> passEnv = PassphraseEnv();
        Option<bool> json = CommonOptions.Json("Print the accounts as JSON");
        var command = new Command("new", "Create a new mnemonic and save its first accounts as encrypted keystore files")
        {
            keystore, words, accounts, mnemonicOut, show, scryptN, passFile, passEnv, json,
        };
        command.SetAction((parsed, _) => RunAsync(context, () =>
        {
            Keystore store = OpenKeystore(parsed.GetValue(keystore));
            string? backup = parsed.GetValue(mnemonicOut);
            if (backup is not null && File.Exists(backup)) throw new WalletException($"{backup} exists; the mnemonic is never written over a file");
            string passphrase = ReadPassphrase(parsed.GetValue(passFile), parsed.GetValue(passEnv), "encrypt the new keys", confirm: true);
            HdWallet wallet = HdWallet.Create(parsed.GetValue(words));
            if (backup is not null) WriteSecret(backup, wallet.Phrase + "\n");
            var saved = Derive(store, wallet, 0, parsed.GetValue(accounts), passphrase, parsed.GetValue(scryptN));
            bool shown = parsed.GetValue(show);
            Report(context, new AccountsReport(store.Directory, saved, shown ? wallet.Phrase : null), parsed.GetValue(json));
            if (!shown && backup is null && !parsed.GetValue(json))
                context.Out.WriteLine("The mnemonic was not shown or saved: the keystore files are the only copy of these keys (use --mnemonic-out FILE or --show-mnemonic to back it up).");
            return Task.FromResult(ExitCodes.Success);
        }));
        return command.WithExamples("depin wallet new --mnemonic-out backup.txt", "depin wallet new --words 12 --accounts 3 --passphrase-file pass.txt --json");
    }

    private static Command Import(CliContext context)
    {
        Option<string> keystore = Keystore();
        Option<string> mnemonicFile = CommonOptions.ExistingFile("--mnemonic-file", "Read the BIP-39 mnemonic from this file", required: false);
        Option<string> mnemonicEnv = new("--mnemonic-env") { Description = "Read the BIP-39 mnemonic from this environment variable", HelpName = "NAME" };
        Option<string> keyFile = CommonOptions.ExistingFile("--private-key-file", "Import one raw private key (64 hex digits) from this file instead of a mnemonic", required: false);
        Option<int> index = CommonOptions.Number("--index", "First account index to derive (m/44'/60'/0'/0/INDEX)", 0, n => CommonOptions.AtLeast(n, 0));
        Option<int> accounts = CommonOptions.Number("--accounts", "Accounts to derive from --index on", DefaultAccounts, n => CommonOptions.AtLeast(n, 1));
        Option<int> scryptN = ScryptN();
        Option<string> passFile = PassphraseFile();
        Option<string> passEnv = PassphraseEnv();
        Option<bool> json = CommonOptions.Json("Print the imported accounts as JSON");
        var command = new Command("import", "Import a mnemonic (checksum checked) or a private key into the keystore")
        {
            keystore, mnemonicFile, mnemonicEnv, keyFile, index, accounts, scryptN, passFile, passEnv, json,
        };
        command.Validators.Add(result =>
        {
            int sources = new[] { mnemonicFile, (Option)mnemonicEnv, keyFile }.Count(o => result.GetResult(o) is not null);
            if (sources > 1) result.AddError("give one of --mnemonic-file, --mnemonic-env and --private-key-file");
        });
        command.SetAction((parsed, _) => RunAsync(context, () =>
        {
            Keystore store = OpenKeystore(parsed.GetValue(keystore));
            IReadOnlyList<AccountEntry> saved;
            if (parsed.GetValue(keyFile) is { } keyPath)
            {
                byte[] key = ReadPrivateKey(keyPath);
                string passphrase = ReadPassphrase(parsed.GetValue(passFile), parsed.GetValue(passEnv), "encrypt the key", confirm: true);
                KeystoreAccount account = store.Save(key, passphrase, parsed.GetValue(scryptN));
                Array.Clear(key);
                saved = [new AccountEntry(account.Index, account.Address, account.Path)];
            }
            else
            {
                HdWallet wallet = HdWallet.Import(ReadMnemonic(parsed.GetValue(mnemonicFile), parsed.GetValue(mnemonicEnv)));
                string passphrase = ReadPassphrase(parsed.GetValue(passFile), parsed.GetValue(passEnv), "encrypt the keys", confirm: true);
                saved = Derive(store, wallet, parsed.GetValue(index), parsed.GetValue(accounts), passphrase, parsed.GetValue(scryptN));
            }
            Report(context, new AccountsReport(store.Directory, saved), parsed.GetValue(json));
            return Task.FromResult(ExitCodes.Success);
        }));
        return command.WithExamples("depin wallet import --mnemonic-file mnemonic.txt", "depin wallet import --private-key-file node.key --passphrase-env NODE_PASS");
    }

    private static Command List(CliContext context)
    {
        Option<string> keystore = Keystore();
        Option<bool> json = CommonOptions.Json("Print the accounts as JSON");
        var command = new Command("list", "List the keystore's accounts (index, address, file)") { keystore, json };
        command.SetAction((parsed, _) => RunAsync(context, () =>
        {
            Keystore store = OpenKeystore(parsed.GetValue(keystore));
            Report(context, new AccountsReport(store.Directory, [.. store.List().Select(a => new AccountEntry(a.Index, a.Address, a.Path))]), parsed.GetValue(json));
            return Task.FromResult(ExitCodes.Success);
        }));
        return command.WithExamples("depin wallet list", "depin wallet list --keystore ./keys --json");
    }

    private static Command Address(CliContext context)
    {
        Option<string> keystore = Keystore();
        Option<string> account = Account();
        Option<bool> json = CommonOptions.Json("Print the address as JSON");
        var command = new Command("address", "Print an account's address (no passphrase needed)") { keystore, account, json };
        command.SetAction((parsed, _) => RunAsync(context, () =>
        {
            KeystoreAccount found = OpenKeystore(parsed.GetValue(keystore)).Find(parsed.GetValue(account));
            if (parsed.GetValue(json)) WriteJson(context.Out, new AddressReport(found.Address, found.Index));
            else context.Out.WriteLine(found.Address);
            return Task.FromResult(ExitCodes.Success);
        }));
        return command.WithExamples("depin wallet address", "depin wallet address --account 2");
    }

    private static Option<int> ScryptN() => CommonOptions.Number("--scrypt-n", "scrypt cost N of new key files (a power of two; lower is faster to unlock and weaker)",
        Chain.Wallet.Keystore.StandardScryptN, n => n >= 1024 && (n & (n - 1)) == 0 ? null : $"must be a power of two of at least 1024, got {n}");

    private static List<AccountEntry> Derive(Keystore store, HdWallet wallet, int first, int count, string passphrase, int scryptN)
    {
        var saved = new List<AccountEntry>();
        for (int i = first; i < first + count; i++)
        {
            byte[] key = wallet.PrivateKey(i);
            KeystoreAccount account = store.Save(key, passphrase, scryptN);
            Array.Clear(key);
            saved.Add(new AccountEntry(account.Index, account.Address, account.Path, HdWallet.PathPrefix + i));
        }
        return saved;
    }

    private static string ReadMnemonic(string? file, string? variable)
    {
        if (file is not null) return File.ReadAllText(file);
        if (variable is not null)
            return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : throw new WalletException($"environment variable {variable} is not set");
        if (Console.IsInputRedirected) throw new WalletException("no mnemonic: use --mnemonic-file FILE or --mnemonic-env NAME, or run in a terminal");
        return Prompt("Mnemonic (hidden): ");
    }

    private static byte[] ReadPrivateKey(string path)
    {
        string hex = File.ReadAllText(path).Trim();
        if (hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) hex = hex[2..];
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit)) throw new WalletException($"{path} does not hold a private key (64 hex digits)");
        return Convert.FromHexString(hex);
    }

    private static void WriteSecret(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var writer = new StreamWriter(path, System.Text.Encoding.UTF8, options);
        writer.Write(text);
    }

    private static void Report(CliContext context, AccountsReport report, bool json)
    {
        if (json)
        {
            WriteJson(context.Out, report);
            return;
        }
        if (report.Mnemonic is not null) context.Out.WriteLine($"mnemonic: {report.Mnemonic}");
        if (report.Accounts.Count == 0)
        {
            context.Out.WriteLine($"no account in {report.Keystore}");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("address").AddColumn("file");
        foreach (AccountEntry a in report.Accounts) table.AddRow(a.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Address, Markup.Escape(Path.GetFileName(a.File)));
        table.Caption($"keystore {Markup.Escape(report.Keystore)}");
        Render(context.Out, table);
    }
}
