using AlignFx.Evaluation;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Ppo.Evaluation;

namespace AlignFx.Ppo.Tests.Evaluation;

public sealed class OveroptimisationStageTests
{
    [Fact]
    public async Task The_sweep_measures_best_of_n_per_proxy_from_one_pool_and_leaves_the_policy_as_it_came()
    {
        var task = Small.Task();
        using var policy = Small.Policy(task);
        float[][] before = Small.Weights(policy);
        using var context = new TestStageContext(21, task, policy, r => r.Name switch
        {
            "long" => new LengthReward(1),
            "short" => new LengthReward(-1),
            _ => throw new InvalidOperationException(r.Name),
        });
        var options = new OveroptimisationOptions
        {
            Rewards = [new() { Label = "long", Reward = new() { Name = "long" } }, new() { Label = "short", Reward = new() { Name = "short" } }],
            Ns = [1, 2, 4, 8],
            Prompts = 6,
            MaxNewTokens = 12,
        };

        await new OveroptimisationStage(options).RunAsync(context, TestContext.Current.CancellationToken);

        Assert.Equal(before, Small.Weights(policy));
        var results = context.Artifacts.Get(PpoArtifacts.Overoptimisation);
        Assert.Equal(["bon/long", "bon/short"], results.Curves.Select(c => c.Name));

        // Best-of-n: proxies are exact lengths, so a longer-preferring proxy's proxy mean rises with n and the other's falls.
        var longCurve = results.Curves[0];
        Assert.Equal([1L, 2, 4, 8], longCurve.Points.Select(p => p.Step));
        Assert.Equal(longCurve.Points.Select(p => p.Proxy).Order(), longCurve.Points.Select(p => p.Proxy));
        Assert.Equal(longCurve.Points.Select(p => p.Gold), context.Values(PpoMetrics.BestOfN("long", PpoMetrics.BestOfNGold)));
        // d is logged beside KL, so a compare report can fit the curve against it (report.fits).
        Assert.Equal(longCurve.Points.Select(p => Math.Sqrt(p.Kl)), context.Values(PpoMetrics.BestOfN("long", PpoMetrics.BestOfNSqrtKl)));
        Assert.Equal(0.0, longCurve.Points[0].Kl);
        Assert.Equal(Overoptimisation.BestOfNKl(8), longCurve.Points[3].Kl);
        // n = 1 is the pool's mean under every proxy.
        Assert.Equal(longCurve.Points[0].Gold, results.Curves[1].Points[0].Gold, 12);
        Assert.Equal(-longCurve.Points[0].Proxy, results.Curves[1].Points[0].Proxy, 12);

        // The fit is the evaluation library's, on gold − gold(n = 1).
        GoldFit fit = Overoptimisation.FitBestOfN([.. longCurve.Points.Select(p => p.SqrtKl)], [.. longCurve.Points.Select(p => p.Gold - longCurve.Points[0].Gold)]);
        Assert.Equal(fit, longCurve.Fit);
        var flat = context.Artifacts.Get(PpoArtifacts.OveroptimisationFits).Metrics;
        Assert.Equal(["bon/long/alpha", "bon/long/beta", "bon/long/peak_sqrt_kl", "bon/long/r2", "bon/short/alpha", "bon/short/beta", "bon/short/peak_sqrt_kl", "bon/short/r2"],
            flat.Keys.Order(StringComparer.Ordinal));
        Assert.True(File.Exists(context.Files.GetPath(OveroptimisationStage.ResultsPath)));
    }
}
