using DePinLedger.Chain.Tests.Support;
using DePinLedger.Chain.Wallet;
using DePinLedger.Protocol.Receipts;

namespace DePinLedger.Chain.Tests;

/// <summary>BIP-39 import with checksum validation and BIP-44 derivation, against anvil's published dev accounts.</summary>
public class WalletTests
{
    [Theory]
    [InlineData(0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
    [InlineData(1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8")]
    [InlineData(9, "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")]
    public void Import_DevMnemonic_DerivesAnvilAccounts(int index, string address)
    {
        HdWallet wallet = HdWallet.Import(AnvilChain.DevMnemonic);

        Assert.Equal(address, new NodeKey(wallet.PrivateKey(index)).Address);
    }

    [Fact]
    public void Import_BadChecksum_Rejected()
    {
        var e = Assert.Throws<WalletException>(() => HdWallet.Import("test test test test test test test test test test test test"));
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void Import_UnknownWord_NamesItsPosition()
    {
        var e = Assert.Throws<WalletException>(() => HdWallet.Import("test test test test test test test test test test tset junk"));
        Assert.Contains("word 11", e.Message);
    }

    [Fact]
    public void Import_WrongWordCount_Rejected() =>
        Assert.Contains("11", Assert.Throws<WalletException>(() => HdWallet.Import("test test test test test test test test test test junk")).Message);

    [Fact]
    public void Import_ToleratesCaseAndSpacing() =>
        Assert.Equal("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
            new NodeKey(HdWallet.Import("  TEST test test test test test\ttest test test test test junk\n").PrivateKey(0)).Address);

    [Theory]
    [InlineData(12)]
    [InlineData(24)]
    public void Create_ThenImport_SameKeys(int words)
    {
        HdWallet created = HdWallet.Create(words);

        HdWallet imported = HdWallet.Import(created.Phrase);

        Assert.Equal(words, created.Phrase.Split(' ').Length);
        Assert.Equal(created.PrivateKey(3), imported.PrivateKey(3));
        Assert.DoesNotContain(created.Phrase.Split(' ')[0], created.ToString());
    }
}
