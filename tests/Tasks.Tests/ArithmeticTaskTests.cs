using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Tasks.Tests;

public sealed class ArithmeticTaskTests
{
    private static ArithmeticTask Task(long seed, Action<ArithmeticOptions>? change = null)
    {
        var options = new ArithmeticOptions();
        change?.Invoke(options);
        return new ArithmeticTask(options, new TestRunContext(seed));
    }

    [Fact]
    public void The_same_seed_gives_the_same_prompts_and_another_seed_other_ones()
    {
        var a = Task(7).GetPrompts(TaskSplits.Test);
        var b = Task(7).GetPrompts(TaskSplits.Test);
        var c = Task(8).GetPrompts(TaskSplits.Test);

        Assert.Equal(a.Select(p => (p.Id, p.Text)), b.Select(p => (p.Id, p.Text)));
        Assert.NotEqual(a.Select(p => p.Text), c.Select(p => p.Text));
        Assert.Equal(Task(7).GetPretrainingCorpus(), Task(7).GetPretrainingCorpus());
    }

    [Fact]
    public void Splits_have_their_sizes_and_their_own_streams()
    {
        ArithmeticTask task = Task(1, o => { o.TrainPrompts = 30; o.ValidationPrompts = 20; o.TestPrompts = 10; });
        Assert.Equal([30, 20, 10], task.Splits.Select(s => task.GetPrompts(s).Count));
        Assert.Equal(30, task.GetPrompts(TaskSplits.Train).Select(p => p.Id).Distinct().Count());

        // Resizing the train split leaves the test split's prompts unchanged.
        ArithmeticTask resized = Task(1, o => { o.TrainPrompts = 300; o.TestPrompts = 10; });
        Assert.Equal(task.GetPrompts(TaskSplits.Test).Select(p => p.Text), resized.GetPrompts(TaskSplits.Test).Select(p => p.Text));
        Assert.NotEqual(task.GetPrompts(TaskSplits.Train).Select(p => p.Text), task.GetPrompts(TaskSplits.Test).Select(p => p.Text));

        var error = Assert.Throws<ArgumentException>(() => task.GetPrompts("dev"));
        Assert.StartsWith("The arithmetic task has no split 'dev'; its splits are train, validation, test.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prompts_have_the_difficulty_mix_and_hint_rates_the_options_set()
    {
        var options = new ArithmeticOptions { TrainPrompts = 4000, HardFraction = 0.3, HintRate = 0.6, HintCorrectRate = 0.25 };
        var prompts = new ArithmeticTask(options, new TestRunContext(11)).GetPrompts(TaskSplits.Train);
        var problems = prompts.Select(p => (Prompt: p, Problem: ArithmeticProblem.TryParse(p.Text)!)).ToList();

        int hard = problems.Count(p => p.Problem.Difficulty == 3);
        Assert.Equal(prompts.Count, hard + problems.Count(p => p.Problem.Difficulty == 1));
        Rates.Within(0.3, hard, prompts.Count, "hard fraction");
        var hinted = problems.Where(p => p.Problem.Hint is not null).ToList();
        Rates.Within(0.6, hinted.Count, prompts.Count, "hint rate");
        Rates.Within(0.25, hinted.Count(p => p.Problem.HintIsCorrect), hinted.Count, "hint correct rate");
        // Metadata agrees with the text, and carries no truth: the answer is the gold evaluator's alone.
        Assert.All(problems, p =>
        {
            string[] expected = p.Problem.Hint is null
                ? [ArithmeticTask.HardKey, GoldFeatures.Difficulty, GoldFeatures.HintPresent]
                : [ArithmeticTask.HardKey, GoldFeatures.Difficulty, GoldFeatures.HintPresent, ArithmeticTask.HintKey];
            Assert.Equal(expected.Order(StringComparer.Ordinal), p.Prompt.Metadata.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(p.Problem.Difficulty == 3 ? "1" : "0", p.Prompt.Metadata[ArithmeticTask.HardKey]);
            Assert.Equal(p.Problem.Hint is null ? "0" : "1", p.Prompt.Metadata[GoldFeatures.HintPresent]);
        });
        Assert.All(problems, p => Assert.True(p.Problem.Operators.All(o => "+-*".Contains(o, StringComparison.Ordinal))));
    }

    [Fact]
    public void The_gold_evaluator_reads_the_problem_from_the_prompt_text()
    {
        ArithmeticTask task = Task(2);
        Prompt prompt = task.GetPrompts(TaskSplits.Test)[0];
        string answer = ArithmeticProblem.TryParse(prompt.Text)!.Answer.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(1, task.Gold!.Evaluate(new Response(prompt, $"Surely {answer}.")).Score);
        // A prompt rebuilt without metadata still scores.
        Assert.Equal(1, task.Gold.Evaluate(new Response(new Prompt("x", prompt.Text), answer)).Score);
        Assert.Throws<ArgumentException>(() => task.Gold.Evaluate(new Response(new Prompt("x", "hello"), "1")));
    }
}
