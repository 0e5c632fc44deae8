using NBitcoin;

namespace DePinLedger.Chain.Wallet;

/// <summary>A wallet operation failed for a reason the user can fix (bad mnemonic, wrong passphrase, unknown account).</summary>
public sealed class WalletException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A BIP-39 mnemonic (English word list, checksum validated) and its BIP-44 Ethereum keys at m/44'/60'/0'/0/i.
/// Never prints the words: <see cref="ToString"/> says only how many there are; <see cref="Phrase"/> is for the
/// explicit "show me my mnemonic" path.
/// </summary>
public sealed class HdWallet
{
    /// <summary>Derivation path of account <c>i</c> (the one MetaMask, Ledger and anvil use).</summary>
    public const string PathPrefix = "m/44'/60'/0'/0/";

    private readonly Mnemonic _mnemonic;
    private readonly ExtKey _root;

    private HdWallet(Mnemonic mnemonic, string passphrase)
    {
        _mnemonic = mnemonic;
        _root = mnemonic.DeriveExtKey(passphrase);
    }

    /// <summary>A new random mnemonic of 12 or 24 words.</summary>
    public static HdWallet Create(int words = 24, string passphrase = "")
    {
        NBitcoin.WordCount count = words switch
        {
            12 => NBitcoin.WordCount.Twelve,
            24 => NBitcoin.WordCount.TwentyFour,
            _ => throw new ArgumentOutOfRangeException(nameof(words), words, "a new mnemonic has 12 or 24 words"),
        };
        return new HdWallet(new Mnemonic(Wordlist.English, count), passphrase);
    }

    /// <summary>Imports a mnemonic, rejecting unknown words, a wrong word count and a bad checksum.</summary>
    public static HdWallet Import(string phrase, string passphrase = "")
    {
        ArgumentNullException.ThrowIfNull(phrase);
        string[] words = phrase.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is not (12 or 15 or 18 or 21 or 24))
            throw new WalletException($"a mnemonic has 12, 15, 18, 21 or 24 words, this one has {words.Length}");
        string normalized = string.Join(' ', words).ToLowerInvariant();
        int unknown = Array.FindIndex(words, w => !Wordlist.English.WordExists(w.ToLowerInvariant(), out _));
        if (unknown >= 0) throw new WalletException($"word {unknown + 1} of the mnemonic is not in the BIP-39 English word list");
        Mnemonic mnemonic;
        try
        {
            mnemonic = new Mnemonic(normalized, Wordlist.English);
        }
        catch (FormatException e)
        {
            throw new WalletException("the mnemonic is not valid BIP-39", e);
        }
        if (!mnemonic.IsValidChecksum) throw new WalletException("the mnemonic's checksum is wrong (a word is mistyped or out of order)");
        return new HdWallet(mnemonic, passphrase);
    }

    public int WordCount => _mnemonic.Words.Length;

    /// <summary>The words. Only for the user who asked to see or save them.</summary>
    public string Phrase => _mnemonic.ToString();

    /// <summary>The 32-byte private key of account <paramref name="index"/> (m/44'/60'/0'/0/index).</summary>
    public byte[] PrivateKey(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return _root.Derive(new KeyPath(PathPrefix + index)).PrivateKey.ToBytes();
    }

    public override string ToString() => $"HD wallet ({WordCount} words)";
}
