using DePinLedger.Chain.Wallet;

namespace DePinLedger.Worker.Tests;

/// <summary>A node key in a throwaway keystore (fast scrypt) with its passphrase in a file, as an operator would run it.</summary>
internal sealed class TestNode : IDisposable
{
    public const string DefaultKey = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

    public TestNode(string privateKeyHex = DefaultKey)
    {
        Root = Directory.CreateTempSubdirectory("depin-worker-tests-").FullName;
        KeystoreDirectory = Path.Combine(Root, "keystore");
        PassphraseFile = Path.Combine(Root, "passphrase.txt");
        File.WriteAllText(PassphraseFile, "correct horse battery staple\n");
        byte[] key = Convert.FromHexString(privateKeyHex);
        PrivateKey = key;
        Address = new Keystore(KeystoreDirectory).Save(key, "correct horse battery staple", scryptN: 1024).Address;
    }

    public byte[] PrivateKey { get; }

    public string Root { get; }

    public string KeystoreDirectory { get; }

    public string PassphraseFile { get; }

    public string Address { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A worker may still be closing a trace file; the temp folder is cleaned up later.
        }
    }
}
