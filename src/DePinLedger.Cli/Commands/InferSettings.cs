using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Engine;

namespace DePinLedger.Cli.Commands;

/// <summary><c>depin infer</c>: what to run, with every default declared here once (the options read them).</summary>
internal sealed record InferSettings(string Model, string Prompt)
{
    /// <summary>Generated tokens at most (llama2.c's default); generation also stops at BOS/EOS and at the context length.</summary>
    public const int DefaultMaxTokens = 256;

    /// <summary>0 = greedy decoding (ties to the lowest id), the deterministic default.</summary>
    public const decimal DefaultTemperature = 0m;

    /// <summary>Nucleus mass kept when sampling (llama2.c's default); ignored when greedy.</summary>
    public const decimal DefaultTopP = 0.9m;

    /// <summary>Sampling seed; becomes the 32-byte job seed of <see cref="SamplingParams.SeedFrom"/>.</summary>
    public const ulong DefaultSeed = 0;

    /// <summary>Temperature and top-p travel as integer thousandths, as the chain stores them.</summary>
    public const int Milli = 1000;

    public int MaxTokens { get; init; } = DefaultMaxTokens;

    public int TemperatureMilli { get; init; } = ToMilli(DefaultTemperature);

    public int TopPMilli { get; init; } = ToMilli(DefaultTopP);

    public ulong Seed { get; init; } = DefaultSeed;

    public int Threads { get; init; } = CommonOptions.DefaultThreads;

    public bool Json { get; init; }

    public SamplingParams Sampling => new(TemperatureMilli, TopPMilli, SamplingParams.SeedFrom(Seed));

    public EngineOptions Engine => new() { Threads = Threads };

    /// <summary>A value in thousandths, rounded to nearest (halves away from zero).</summary>
    public static int ToMilli(decimal value) => (int)Math.Round(value * Milli, MidpointRounding.AwayFromZero);

    /// <summary>Null when the temperature is usable, else what is wrong.</summary>
    public static string? CheckTemperature(decimal temperature) =>
        temperature < 0 || temperature * Milli > SamplingParams.MaxTemperatureMilli
            ? $"must be between 0 and {SamplingParams.MaxTemperatureMilli / (decimal)Milli:0.0}, got {temperature}"
            : null;

    /// <summary>Null when top-p is in (0, 1] and does not round to 0 thousandths, else what is wrong.</summary>
    public static string? CheckTopP(decimal topP) =>
        topP <= 0 || topP > 1 ? $"must be in (0, 1], got {topP}"
        : ToMilli(topP) < 1 ? $"{topP} rounds to 0 thousandths; the smallest is 0.001"
        : null;
}
