using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Wallet;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Chain.Tests;

/// <summary>Web3 Secret Storage key files: round trip, wrong passphrase, listing and selection.</summary>
public sealed class KeystoreTests : IDisposable
{
    // Light scrypt keeps the tests fast; the format and code path are those of the standard N.
    private const int LightN = 1024;

    private readonly string _dir = Directory.CreateTempSubdirectory("depin-keystore-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Save_ThenUnlock_SameKey()
    {
        var keystore = new Keystore(_dir);
        byte[] key = AnvilChain.DevKey(0);

        KeystoreAccount account = keystore.Save(key, "correct horse", LightN);
        NodeKey unlocked = Keystore.Unlock(account, "correct horse");

        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", account.Address);
        Assert.Equal(key, unlocked.ExportPrivateKey());
        string json = File.ReadAllText(account.Path);
        Assert.Contains("\"scrypt\"", json);
        Assert.DoesNotContain(Convert.ToHexStringLower(key), json);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(account.Path));
    }

    [Fact]
    public void Unlock_WrongPassphrase_Rejected()
    {
        KeystoreAccount account = new Keystore(_dir).Save(AnvilChain.DevKey(1), "right", LightN);

        var e = Assert.Throws<WalletException>(() => Keystore.Unlock(account, "wrong"));

        Assert.Contains("wrong passphrase", e.Message);
    }

    [Fact]
    public void List_InCreationOrder_FindByIndexOrAddress()
    {
        var keystore = new Keystore(_dir);
        for (int i = 0; i < 3; i++) keystore.Save(AnvilChain.DevKey(i), "p", LightN);

        IReadOnlyList<KeystoreAccount> accounts = keystore.List();

        Assert.Equal([AnvilChain.DevAddress(0), AnvilChain.DevAddress(1), AnvilChain.DevAddress(2)], accounts.Select(a => a.Address));
        Assert.Equal(accounts[1], keystore.Find("1"));
        Assert.Equal(accounts[2], keystore.Find(AnvilChain.DevAddress(2).ToLowerInvariant()));
        Assert.Equal(accounts[0], keystore.Find(null));
        Assert.Contains("no account 7", Assert.Throws<WalletException>(() => keystore.Find("7")).Message);
        Assert.Contains("already in keystore", Assert.Throws<WalletException>(() => keystore.Save(AnvilChain.DevKey(0), "p", LightN)).Message);
    }

    [Fact]
    public void Find_EmptyKeystore_SaysHowToCreate() =>
        Assert.Contains("depin wallet new", Assert.Throws<WalletException>(() => new Keystore(Path.Combine(_dir, "none")).Find(null)).Message);
}
