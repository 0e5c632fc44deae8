using DePinLedger.Inference.Engine;

namespace DePinLedger.Inference.Tests;

/// <summary>The kernel thread pool's hand-off: every part of every call runs exactly once, failures surface, sleepers wake.</summary>
public class ParallelRunnerTests
{
    private sealed class CountingJob(int threads) : IParallelJob
    {
        public readonly int[] Runs = new int[threads];
        public int LastParts;

        public void Execute(int part, int parts)
        {
            Interlocked.Increment(ref Runs[part]);
            Volatile.Write(ref LastParts, parts);
        }
    }

    private sealed class FailingJob(int failingPart) : IParallelJob
    {
        public void Execute(int part, int parts)
        {
            if (part == failingPart) throw new InvalidOperationException($"part {part} failed");
        }
    }

    [Fact]
    public void EveryPartOfEveryCall_RunsExactlyOnce_WhatEverThePartCount()
    {
        const int threads = 4, calls = 20_000;
        using var runner = new ParallelRunner(threads);
        var job = new CountingJob(threads);
        var expected = new int[threads];
        for (int call = 0; call < calls; call++)
        {
            int parts = 1 + call % 6; // 5 and 6 are clamped to the thread count
            runner.Run(job, parts);
            for (int p = 0; p < Math.Min(parts, threads); p++) expected[p]++;
            // The call returns only when all of its parts are done.
            Assert.Equal(expected, job.Runs);
        }
    }

    [Fact]
    public void WorkersThatFellAsleep_WakeForTheNextCall()
    {
        using var runner = new ParallelRunner(3);
        var job = new CountingJob(3);
        for (int call = 0; call < 5; call++)
        {
            Thread.Sleep(5); // far beyond the spin budget: the workers block
            runner.Run(job, 3);
        }
        Assert.Equal([5, 5, 5], job.Runs);
    }

    [Fact]
    public void AFailingPart_IsRethrownByRun_AndTheRunnerKeepsWorking()
    {
        using var runner = new ParallelRunner(3);
        var onCaller = Assert.Throws<InvalidOperationException>(() => runner.Run(new FailingJob(0), 3));
        Assert.Equal("part 0 failed", onCaller.Message);
        var onWorker = Assert.Throws<AggregateException>(() => runner.Run(new FailingJob(2), 3));
        Assert.Equal("part 2 failed", onWorker.InnerException!.Message);
        var job = new CountingJob(3);
        runner.Run(job, 3);
        Assert.Equal([1, 1, 1], job.Runs);
    }
}
