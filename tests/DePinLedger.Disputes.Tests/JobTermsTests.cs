using DePinLedger.Chain.Contracts.Prover;
using DePinLedger.Chain.Deployment;
using DePinLedger.Chain.Tests.Support;
using DePinLedger.Disputes.Client;
using DePinLedger.Inference.Engine;
using DePinLedger.Protocol.Encoding;

namespace DePinLedger.Disputes.Tests;

/// <summary>The C# job conventions equal the deployed StepProver's (promptHashOf, samplingOf), edge values included.</summary>
public sealed class JobTermsTests : IAsyncLifetime
{
    private AnvilChain _anvil = null!;

    public async Task InitializeAsync() => _anvil = await AnvilChain.StartAsync(settings: new DeploymentSettings { DeployDisputeGame = true });

    public async Task DisposeAsync() => await _anvil.DisposeAsync();

    [Theory]
    [InlineData(0u, 65_536u, 0ul)]
    [InlineData(1u, 1u, 1ul)]
    [InlineData(45_875u, 58_982u, 7ul)]
    [InlineData(65_536u, 65_535u, ulong.MaxValue)]
    [InlineData(131_072u, 32_768u, 0x0123456789abcdeful)]
    [InlineData(uint.MaxValue, 65_536u, 42ul)]
    public async Task Sampling_MatchesSamplingOf(uint temperature, uint topP, ulong seed)
    {
        var request = new Protocol.Jobs.JobRequest(Keccak.Hash("m"), Keccak.Hash("p"), 8, temperature, topP, seed, 2, 1, 1, Keccak.Hash("s"));

        SamplingOfOutput onChain = await _anvil.Deployer.QueryOutputAsync<SamplingOfFunction, SamplingOfOutput>(_anvil.Deployment.StepProver,
            new SamplingOfFunction { Request = JobTerms.ToProver(request) }, default);
        SamplingParams mine = JobTerms.Sampling(request);

        Assert.Equal(onChain.Temperature, mine.TemperatureMilli);
        Assert.Equal(onChain.TopP, mine.TopPMilli);
        Assert.Equal(onChain.Seed, mine.Seed.ToArray());
    }

    [Fact]
    public async Task PromptHash_MatchesPromptHashOf()
    {
        int[] prompt = [1, 403, 407, 261, 378, 0, 511];

        byte[] onChain = await _anvil.Deployer.QueryAsync<PromptHashOfFunction, byte[]>(_anvil.Deployment.StepProver,
            new PromptHashOfFunction { Prompt = prompt.Select(t => (uint)t).ToList() }, default);

        Assert.Equal(onChain, JobTerms.PromptHash(prompt).ToArray());
    }
}
