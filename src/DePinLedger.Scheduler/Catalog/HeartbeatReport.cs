using System.Globalization;
using System.Text.Json;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Scheduler.Catalog;

/// <summary>
/// A worker's heartbeat body, parsed and checked field by field (the worker's HeartbeatService writes it): a JSON object
/// of exactly these string fields — node, model_id, first_layer, last_layer, open_sessions, kv_used_bytes,
/// kv_budget_bytes, positions_per_second, time (unix seconds).
/// </summary>
public sealed record HeartbeatReport(
    string Node, string ModelId, int FirstLayer, int LastLayer, int OpenSessions, long KvUsedBytes, long KvBudgetBytes,
    double PositionsPerSecond, DateTimeOffset Time)
{
    /// <summary>Larger bodies are refused unread: the real one is about 400 bytes.</summary>
    public const int MaxBodyBytes = 4096;

    private static readonly string[] Fields =
        ["node", "model_id", "first_layer", "last_layer", "open_sessions", "kv_used_bytes", "kv_budget_bytes", "positions_per_second", "time"];

    /// <summary>Parses <paramref name="body"/>; throws <see cref="FormatException"/> naming the offending field.</summary>
    public static HeartbeatReport Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length == 0) throw new FormatException("the body is empty");
        if (body.Length > MaxBodyBytes) throw new FormatException($"the body is {body.Length} bytes, more than {MaxBodyBytes}");
        Dictionary<string, string> values = ReadStringObject(body);
        foreach (string field in Fields)
            if (!values.ContainsKey(field)) throw new FormatException($"field '{field}' is missing");
        foreach (string field in values.Keys)
            if (!Fields.Contains(field)) throw new FormatException($"field '{field}' is not part of a heartbeat");

        string node = values["node"];
        if (!AddressText.IsValid(node)) throw new FormatException($"field 'node' is not an address (0x and 40 hex digits): '{node}'");
        if (!Bytes32.TryParse(values["model_id"], out Bytes32 modelId)) throw new FormatException($"field 'model_id' is not 0x and 64 hex digits: '{values["model_id"]}'");
        int first = Integer(values, "first_layer", ushort.MaxValue);
        int last = Integer(values, "last_layer", ushort.MaxValue);
        if (last < first) throw new FormatException($"last_layer {last} is before first_layer {first}");
        int sessions = Integer(values, "open_sessions", int.MaxValue);
        long kvUsed = Integer(values, "kv_used_bytes", long.MaxValue);
        long kvBudget = Integer(values, "kv_budget_bytes", long.MaxValue);
        if (kvBudget == 0) throw new FormatException("kv_budget_bytes must be positive");
        if (kvUsed > kvBudget) throw new FormatException($"kv_used_bytes {kvUsed} exceeds kv_budget_bytes {kvBudget}");
        string rateText = values["positions_per_second"];
        if (!double.TryParse(rateText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double rate) || !double.IsFinite(rate))
            throw new FormatException($"field 'positions_per_second' is not a non-negative decimal: '{rateText}'");
        long seconds = Integer(values, "time", long.MaxValue);
        if (seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()) throw new FormatException($"field 'time' is out of range: {seconds}");
        return new HeartbeatReport(AddressText.Normalize(node), modelId.ToString(), first, last, sessions, kvUsed, kvBudget, rate, DateTimeOffset.FromUnixTimeSeconds(seconds));
    }

    private static Dictionary<string, string> ReadStringObject(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 2 });
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("the body is not a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                if (!reader.Read() || reader.TokenType != JsonTokenType.String) throw new FormatException($"field '{name}' is not a string");
                if (!values.TryAdd(name, reader.GetString()!)) throw new FormatException($"field '{name}' appears twice");
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) throw new FormatException("the body has content after the object");
        }
        catch (JsonException e)
        {
            throw new FormatException($"the body is not valid JSON: {e.Message}", e);
        }
        return values;
    }

    /// <summary>Digits only (no sign, spaces or exponent), at most <paramref name="max"/>.</summary>
    private static long Integer(Dictionary<string, string> values, string field, long max)
    {
        string text = values[field];
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value > max)
            throw new FormatException($"field '{field}' is not an integer in 0..{max}: '{text}'");
        return value;
    }

    private static int Integer(Dictionary<string, string> values, string field, int max) => (int)Integer(values, field, (long)max);
}
