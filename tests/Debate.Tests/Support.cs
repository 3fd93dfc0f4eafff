using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Debate.Tests;

/// <summary>The arithmetic task the tests debate over, and the oversee stage run on it without the host.</summary>
internal static class Arena
{
    /// <summary>
    /// Items a judge with limit 3 cannot check alone (two-digit operands, three additions or subtractions: difficulty 4,
    /// every working step at most 3) and, with <paramref name="hardFraction"/> below 1, easy one-digit sums it can.
    /// </summary>
    public static ArithmeticTask Task(long seed, int prompts = 200, double hardFraction = 1) => new(new ArithmeticOptions
    {
        Operators = "+-",
        HardDigits = 2,
        HardOperations = 3,
        HardFraction = hardFraction,
        TestPrompts = prompts,
        TrainPrompts = 10,
        ValidationPrompts = 10,
    }, new TestRunContext(seed));

    /// <summary>The gold-free view of the task that the host gives judges and debaters (claims, no gold evaluator).</summary>
    public static ITask GoldFree(ITask task) => new GoldFreeTask(task);

    /// <summary>Runs <c>oversee</c> over <paramref name="items"/> questions with <paramref name="method"/> and returns its metrics.</summary>
    public static async Task<IReadOnlyDictionary<string, double>> Oversee(Func<IRunContext, ITask, IOversightMethod> method, long seed, int items = 200,
        double hardFraction = 1, int transcripts = 0)
    {
        ArithmeticTask task = Task(seed, Math.Max(items, 10), hardFraction);
        using var context = new TestStageContext(seed, task, null!, _ => method(new TestRunContext(seed), GoldFree(task)));
        await new OverseeStage(new OverseeOptions { Items = items, Transcripts = transcripts }).RunAsync(context, CancellationToken.None);
        return context.Artifacts.Get<EvaluationResults>(OverseeStage.ResultsKey).Metrics;
    }

    /// <summary>Questions of one right and one wrong bare answer (right one at a random index), as <c>oversee</c> builds them.</summary>
    public static List<(OversightQuestion Question, int Right)> Questions(long seed, int count)
    {
        ArithmeticTask task = Task(seed, count);
        var random = new Random(unchecked((int)seed));
        return [.. task.GetPrompts(TaskSplits.Test).Take(count).Select((p, i) =>
        {
            long answer = ArithmeticProblem.TryParse(p.Text)!.Answer;
            int right = random.Next(2);
            var texts = new string[2];
            texts[right] = answer.ToString(System.Globalization.CultureInfo.InvariantCulture);
            texts[1 - right] = (answer + 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return (new OversightQuestion($"q{i}", [new Response(p, texts[0]), new Response(p, texts[1])]), right);
        })];
    }

    public static DebaterSkill Skill(double find = 1, double mistake = 0, double persuasiveness = 0, bool steps = true) =>
        new() { FindRate = find, MistakeRate = mistake, Persuasiveness = persuasiveness, StateSteps = steps };

    /// <summary>A biased judge: confident, padded and hint-agreeing sides win its impressions.</summary>
    public static JudgeOptions BiasedJudge(int checks = 2) => new() { ChecksPerDebate = checks, ConfidenceBias = 1, LengthBias = 1, Sycophancy = 1 };

    private sealed class GoldFreeTask(ITask inner) : ITask
    {
        public IReadOnlyList<string> Splits => inner.Splits;
        public IReadOnlyList<Prompt> GetPrompts(string split) => inner.GetPrompts(split);
        public IGoldEvaluator? Gold => null;
        public IClaimChecker? Claims => inner.Claims;
        public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() => inner.GetPretrainingCorpus();
    }
}

/// <summary>A claim checker that counts the checks asked of it, around the arithmetic task's.</summary>
internal sealed class CountingChecker(IClaimChecker inner) : IClaimChecker
{
    public int Checks { get; private set; }
    public IReadOnlyList<Claim> Claims(Response response) => inner.Claims(response);
    public bool? Check(Claim claim, double verificationLimit)
    {
        Checks++;
        return inner.Check(claim, verificationLimit);
    }
    public IReadOnlyList<Claim> Split(Claim claim) => inner.Split(claim);
    public Claim? Corrected(Claim claim) => inner.Corrected(claim);
}

/// <summary>A task whose claims go through a <see cref="CountingChecker"/>.</summary>
internal sealed class CountingTask(ITask inner) : ITask
{
    public CountingChecker Checker { get; } = new(inner.Claims!);
    public IReadOnlyList<string> Splits => inner.Splits;
    public IReadOnlyList<Prompt> GetPrompts(string split) => inner.GetPrompts(split);
    public IGoldEvaluator? Gold => null;
    public IClaimChecker? Claims => Checker;
    public IReadOnlyList<PretrainingExample> GetPretrainingCorpus() => inner.GetPretrainingCorpus();
}
