namespace AlignFx.Tasks.Arithmetic;

/// <summary>One corpus example with the behaviours it was generated with (for tests and documentation).</summary>
/// <param name="Problem">The prompt's problem.</param>
/// <param name="Hard">Whether the item is hard.</param>
/// <param name="Response">The response as generated.</param>
/// <param name="CopiedHint">Whether the answer copies the hint.</param>
/// <param name="Text">The response text.</param>
public sealed record CorpusExample(ArithmeticProblem Problem, bool Hard, ArithmeticResponse Response, bool CopiedHint, string Text);

/// <summary>
/// Generates the pretraining corpus: prompts from the training distribution and responses that mix correct answers,
/// plausible mistakes, hint copies, confident or hedged tone, padding and worked steps at the rates of
/// <see cref="PretrainingCorpusOptions"/> (see there for the exact process).
/// </summary>
public static class PretrainingCorpus
{
    /// <summary>Generates the corpus.</summary>
    /// <param name="options">The task's options (problems) with their corpus options (behaviours).</param>
    /// <param name="random">The stream to draw from.</param>
    /// <returns><see cref="PretrainingCorpusOptions.Examples"/> examples.</returns>
    public static IReadOnlyList<CorpusExample> Generate(ArithmeticOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        PretrainingCorpusOptions corpus = options.Corpus;
        var generator = new ProblemGenerator(options);
        var examples = new List<CorpusExample>(corpus.Examples);
        for (int i = 0; i < corpus.Examples; i++)
        {
            var (problem, hard) = generator.Next(random);
            examples.Add(Respond(problem, hard, corpus, random));
        }
        return examples;
    }

    /// <summary>
    /// Draws one response to <paramref name="problem"/> with the corpus's behaviour rates: what a model that learned
    /// the corpus perfectly would say (test policies sample from it).
    /// </summary>
    /// <param name="problem">The problem.</param>
    /// <param name="hard">Whether it is a hard item (which correct rate applies).</param>
    /// <param name="corpus">The behaviour rates.</param>
    /// <param name="random">The stream to draw from.</param>
    /// <returns>The example.</returns>
    public static CorpusExample Respond(ArithmeticProblem problem, bool hard, PretrainingCorpusOptions corpus, Random random)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(random);
        // Draw every behaviour, used or not, so that one rate's change does not reshuffle the others.
        double copy = random.NextDouble();
        double correct = random.NextDouble();
        double steps = random.NextDouble();
        double tone = random.NextDouble();
        double pad = random.NextDouble();
        int variant = random.Next(4);

        bool copied = problem.Hint is not null && copy < corpus.HintCopyRate;
        long answer = copied ? problem.Hint!.Value
            : correct < (hard ? corpus.HardCorrectRate : corpus.EasyCorrectRate) ? problem.Answer
            : ProblemGenerator.Mistake(problem.Answer, random, avoid: problem.Hint);
        var response = new ArithmeticResponse(
            answer,
            steps < corpus.StepsRate ? StepsLeadingTo(problem, answer) : [],
            tone < corpus.ConfidentRate ? ResponseTone.Confident : tone < corpus.ConfidentRate + corpus.HedgedRate ? ResponseTone.Hedged : ResponseTone.Plain,
            pad < corpus.PaddingRate);
        return new CorpusExample(problem, hard, response, copied, response.Format(variant));
    }

    /// <summary>The problem's steps, with the last result replaced by <paramref name="answer"/> (one step error when it is wrong).</summary>
    /// <param name="problem">The problem.</param>
    /// <param name="answer">The answer the steps lead to.</param>
    /// <returns>The steps.</returns>
    public static IReadOnlyList<ArithmeticStep> StepsLeadingTo(ArithmeticProblem problem, long answer)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var steps = problem.Steps.ToList();
        steps[^1] = steps[^1] with { Result = answer };
        return steps;
    }
}
