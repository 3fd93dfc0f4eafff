using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Tasks.Tests;

/// <summary>The corpus's behaviours, measured with the gold evaluator, against the rates its options document.</summary>
public sealed class CorpusTests
{
    private static List<(CorpusExample Example, GoldEvaluation Gold)> Measure(ArithmeticOptions options, long seed) =>
        [.. new ArithmeticTask(options, new TestRunContext(seed)).GenerateCorpus()
            .Select(e => (e, ArithmeticTask.Evaluate(e.Problem, e.Text)))];

    [Fact]
    public void Default_corpus_shows_each_behaviour_at_its_documented_rate()
    {
        var options = new ArithmeticOptions();
        PretrainingCorpusOptions c = options.Corpus;
        var corpus = Measure(options, seed: 5);
        Assert.Equal(c.Examples, corpus.Count);

        var unhinted = corpus.Where(x => x.Gold.Get(GoldFeatures.HintPresent) == 0).ToList();
        var easy = unhinted.Where(x => x.Gold.Get(GoldFeatures.Difficulty) == 1).ToList();
        var hard = unhinted.Where(x => x.Gold.Get(GoldFeatures.Difficulty) == 3).ToList();
        Rates.Within(c.EasyCorrectRate, easy.Count(x => x.Gold.Score == 1), easy.Count, "easy correct rate");
        Rates.Within(c.HardCorrectRate, hard.Count(x => x.Gold.Score == 1), hard.Count, "hard correct rate");

        // Mistakes never equal a wrong hint, so agreeing with a wrong hint is exactly the copying behaviour.
        var wrongHint = corpus.Where(x => x.Gold.Get(GoldFeatures.HintPresent) == 1 && x.Gold.Get(GoldFeatures.HintCorrect) == 0).ToList();
        Rates.Within(c.HintCopyRate, wrongHint.Count(x => x.Gold.Get(GoldFeatures.AgreesWithHint) == 1), wrongHint.Count, "sycophancy (copies a wrong hint)");
        var rightHintEasy = corpus.Where(x => x.Gold.Get(GoldFeatures.HintCorrect) == 1 && x.Gold.Get(GoldFeatures.Difficulty) == 1).ToList();
        Rates.Within(c.HintCopyRate + ((1 - c.HintCopyRate) * c.EasyCorrectRate), rightHintEasy.Count(x => x.Gold.Score == 1), rightHintEasy.Count, "easy accuracy with a right hint");

        Rates.Within(c.StepsRate, corpus.Count(x => x.Gold.Get(GoldFeatures.ShowsSteps) == 1), corpus.Count, "steps rate");
        Rates.Within(c.ConfidentRate, corpus.Count(x => x.Gold.Get(GoldFeatures.Confident) == 1), corpus.Count, "confident rate");
        Rates.Within(c.HedgedRate, corpus.Count(x => x.Gold.Get(GoldFeatures.Hedged) == 1), corpus.Count, "hedged rate");
        Rates.Within(c.PaddingRate, corpus.Count(x => ArithmeticResponse.Parse(x.Example.Text).Padded), corpus.Count, "padding rate");

        // Steps lead to the stated answer: a wrong answer shows exactly one step error, a right one none.
        Assert.All(corpus.Where(x => x.Gold.Get(GoldFeatures.ShowsSteps) == 1),
            x => Assert.Equal(x.Gold.Score == 1 ? 0 : 1, x.Gold.Get(GoldFeatures.StepErrors)));
        // Tone carries no information about correctness: confident and plain answers are right about equally often.
        double accuracy = corpus.Average(x => x.Gold.Score);
        var confident = corpus.Where(x => x.Gold.Get(GoldFeatures.Confident) == 1).ToList();
        Rates.Within(accuracy, confident.Count(x => x.Gold.Score == 1), confident.Count, "accuracy of confident answers");
        Assert.InRange(accuracy, 0.3, 0.8);

        // Short enough for a character-level model with a context of 128 (measured maximum: see the report).
        Assert.True(corpus.Max(x => x.Example.Problem.PromptText.Length + 1 + x.Example.Text.Length) <= 100);
    }

    [Fact]
    public void Changed_rates_change_the_measured_behaviour()
    {
        var options = new ArithmeticOptions
        {
            HintRate = 1,
            Corpus = new PretrainingCorpusOptions { Examples = 3000, HintCopyRate = 0, StepsRate = 1, ConfidentRate = 0.7, HedgedRate = 0.3, PaddingRate = 0 },
        };
        var corpus = Measure(options, seed: 9);

        Assert.All(corpus, x => Assert.Equal(1, x.Gold.Get(GoldFeatures.ShowsSteps)));
        Assert.All(corpus, x => Assert.False(ArithmeticResponse.Parse(x.Example.Text).Padded));
        Assert.All(corpus, x => Assert.Equal(1, x.Gold.Get(GoldFeatures.Confident) + x.Gold.Get(GoldFeatures.Hedged)));
        Assert.DoesNotContain(corpus, x => x.Gold.Get(GoldFeatures.HintCorrect) == 0 && x.Gold.Get(GoldFeatures.AgreesWithHint) == 1);
        Rates.Within(0.7, corpus.Count(x => x.Gold.Get(GoldFeatures.Confident) == 1), corpus.Count, "confident rate");
    }

    [Fact]
    public void The_corpus_is_fixed_by_the_seed()
    {
        var options = new ArithmeticOptions { Corpus = new PretrainingCorpusOptions { Examples = 200 } };
        var a = new ArithmeticTask(options, new TestRunContext(3)).GetPretrainingCorpus();
        var b = new ArithmeticTask(options, new TestRunContext(3)).GetPretrainingCorpus();
        var c = new ArithmeticTask(options, new TestRunContext(4)).GetPretrainingCorpus();

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }
}
