using System.Globalization;
using System.Text.Json;
using DePinLedger.Protocol.Encoding;
using DePinLedger.Protocol.Receipts;
using Nethereum.KeyStore;
using Nethereum.KeyStore.Crypto;
using Nethereum.KeyStore.Model;

namespace DePinLedger.Chain.Wallet;

/// <summary>One key file: its position in the list, address and path.</summary>
public sealed record KeystoreAccount(int Index, string Address, string Path);

/// <summary>
/// A folder of Web3 Secret Storage (v3) key files, scrypt-encrypted, one per account, named like geth's
/// (UTC--time--address.json) so the list order is the creation order. Files are written owner-read/write only.
/// </summary>
public sealed class Keystore(string directory)
{
    /// <summary>scrypt N of geth's "standard" keystores: about a second to unlock on a desktop.</summary>
    public const int StandardScryptN = 262_144;

    /// <summary>Environment variable naming the keystore folder.</summary>
    public const string DirectoryVariable = "DEPIN_KEYSTORE";

    public string Directory { get; } = directory;

    /// <summary>$DEPIN_KEYSTORE, else ~/.depinledger/keystore.</summary>
    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } dir
            ? dir
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".depinledger", "keystore");

    public IReadOnlyList<KeystoreAccount> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var accounts = new List<KeystoreAccount>();
        foreach (string path in System.IO.Directory.GetFiles(Directory).Order(StringComparer.Ordinal))
        {
            string? address = ReadAddress(path);
            if (address is not null) accounts.Add(new KeystoreAccount(accounts.Count, address, path));
        }
        return accounts;
    }

    /// <summary>
    /// The account named by <paramref name="selector"/>: an address, or an index into <see cref="List"/>; null or
    /// empty selects account 0.
    /// </summary>
    public KeystoreAccount Find(string? selector)
    {
        IReadOnlyList<KeystoreAccount> accounts = List();
        if (accounts.Count == 0) throw new WalletException($"no account in keystore {Directory} (create one with 'depin wallet new')");
        if (string.IsNullOrEmpty(selector)) return accounts[0];
        if (int.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            return index < accounts.Count ? accounts[index] : throw new WalletException($"no account {index} in keystore {Directory} ({accounts.Count} accounts)");
        if (!AddressText.IsValid(selector)) throw new WalletException($"--account expects an address or an index, got '{selector}'");
        return accounts.FirstOrDefault(a => string.Equals(a.Address, selector, StringComparison.OrdinalIgnoreCase))
            ?? throw new WalletException($"account {selector} is not in keystore {Directory}");
    }

    /// <summary>Encrypts <paramref name="privateKey"/> under <paramref name="passphrase"/> into a new key file.</summary>
    public KeystoreAccount Save(ReadOnlySpan<byte> privateKey, string passphrase, int scryptN = StandardScryptN)
    {
        if (scryptN < 2 || (scryptN & (scryptN - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(scryptN), scryptN, "scrypt N is a power of two");
        if (passphrase.Length == 0) throw new WalletException("the passphrase must not be empty");
        string address = new NodeKey(privateKey).Address;
        if (List().Any(a => string.Equals(a.Address, address, StringComparison.OrdinalIgnoreCase)))
            throw new WalletException($"account {address} is already in keystore {Directory}");
        var service = new KeyStoreScryptService();
        var parameters = new ScryptParams { Dklen = 32, N = scryptN, R = 8, P = 1 };
        string json = service.EncryptAndGenerateKeyStoreAsJson(passphrase, privateKey.ToArray(), address[2..].ToLowerInvariant(), parameters);
        System.IO.Directory.CreateDirectory(Directory);
        string name = $"UTC--{DateTime.UtcNow:yyyy-MM-ddTHH-mm-ss.fffffff}Z--{address[2..].ToLowerInvariant()}.json";
        string path = System.IO.Path.Combine(Directory, name);
        var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var writer = new StreamWriter(path, System.Text.Encoding.UTF8, file)) writer.Write(json);
        return List().Single(a => a.Path == path);
    }

    /// <summary>Decrypts an account's key; a wrong passphrase is a <see cref="WalletException"/>.</summary>
    public static NodeKey Unlock(KeystoreAccount account, string passphrase)
    {
        string json = File.ReadAllText(account.Path);
        byte[] key;
        try
        {
            key = new KeyStoreService().DecryptKeyStoreFromJson(passphrase, json);
        }
        catch (DecryptionException e)
        {
            throw new WalletException($"wrong passphrase for account {account.Address}", e);
        }
        var nodeKey = new NodeKey(key);
        Array.Clear(key);
        if (!string.Equals(nodeKey.Address, account.Address, StringComparison.OrdinalIgnoreCase))
            throw new WalletException($"key file {account.Path} holds the key of {nodeKey.Address}, not of {account.Address}");
        return nodeKey;
    }

    private static string? ReadAddress(string path)
    {
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !System.IO.Path.GetFileName(path).StartsWith("UTC--", StringComparison.Ordinal)) return null;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("address", out JsonElement a) || a.GetString() is not { } hex) return null;
            string address = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex : "0x" + hex;
            return AddressText.IsValid(address) ? AddressText.Checksum(address) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
