using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.RewardModels.Tests.Composed;

/// <summary>A reward read from a function of the response, counting how often it is asked and about how many responses.</summary>
internal sealed class StubReward(Func<Response, double> score) : IRewardModel
{
    public int Calls { get; private set; }
    public int Scored { get; private set; }

    public Task<IReadOnlyList<double>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        Calls++;
        Scored += responses.Count;
        return Task.FromResult<IReadOnlyList<double>>([.. responses.Select(score)]);
    }
}

/// <summary>Creates the rewards a test names.</summary>
internal sealed class StubFactory(IReadOnlyDictionary<string, IRewardModel> rewards) : IComponentFactory
{
    public T Create<T>(ComponentRef reference) where T : class =>
        rewards[reference.Name] as T ?? throw new InvalidOperationException($"'{reference.Name}' is not a {typeof(T).Name}.");
}

/// <summary>Candidate responses whose objective values are given, one candidate per point.</summary>
internal static class Candidates
{
    private static readonly Prompt Prompt = new("p", "1+1=?");

    /// <summary>Responses "c0", "c1", ... and two stub rewards "x" and "y" that give each its point's coordinates.</summary>
    public static (Response[] Responses, StubFactory Factory) Of(IReadOnlyList<(double X, double Y)> points)
    {
        Response[] responses = [.. points.Select((_, i) => new Response(Prompt, $"c{i}"))];
        int Index(Response r) => int.Parse(r.Text.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
        var factory = new StubFactory(new Dictionary<string, IRewardModel>
        {
            ["x"] = new StubReward(r => points[Index(r)].X),
            ["y"] = new StubReward(r => points[Index(r)].Y),
        });
        return (responses, factory);
    }

    public static int ArgMax(IReadOnlyList<double> scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Count; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }
        return best;
    }
}
