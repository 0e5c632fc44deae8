using System.Text.Json;

namespace DePinLedger.Chain.Deployment;

/// <summary>A compiled contract as forge writes it (out/&lt;File&gt;.sol/&lt;Contract&gt;.json): ABI and creation bytecode.</summary>
public sealed record ContractArtifact(string Name, string Abi, string Bytecode)
{
    /// <summary>Reads <c>out/&lt;name&gt;.sol/&lt;name&gt;.json</c>; a missing file says to run forge build.</summary>
    public static ContractArtifact Load(string outDirectory, string name)
    {
        string path = Path.Combine(outDirectory, $"{name}.sol", $"{name}.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"contract artifact not found: {path} (run 'forge build' at the repository root)", path);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        string abi = doc.RootElement.GetProperty("abi").GetRawText();
        string bytecode = doc.RootElement.GetProperty("bytecode").GetProperty("object").GetString() ?? "";
        if (bytecode.Length <= 2) throw new InvalidDataException($"{path} has no bytecode (an interface or abstract contract?)");
        return new ContractArtifact(name, abi, bytecode);
    }
}
