using AlignFx.LanguageModels;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.Ppo.Tests.Optimizers;

/// <summary>
/// A small gpt (2 layers, d 64, value head) pretrained briefly on easy addition, saved once per test run so every
/// test starts from the same weights; fixed seeds throughout.
/// </summary>
public sealed class SmallPolicy : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("alignfx-ppo-policy-").FullName;

    public SmallPolicy()
    {
        Task = NewTask();
        var options = new GptOptions { Layers = 2, DModel = 64, Heads = 4, Context = 96, ValueHead = true };
        using var policy = new GptPolicy(options, new TestRunContext(7), Task);
        using var context = new TestStageContext(7, Task, policy);
        new PretrainStage(new PretrainOptions { Steps = 150, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 10, EvaluateEvery = 50, Patience = 0, SaveCheckpoint = false })
            .RunAsync(context, CancellationToken.None).GetAwaiter().GetResult();
        policy.Save(_directory);
    }

    /// <summary>Easy one-digit additions, no hints: room to improve in a short run.</summary>
    public ArithmeticTask Task { get; }

    public static ArithmeticTask NewTask() => new(new ArithmeticOptions
    {
        HardFraction = 0,
        Operators = "+",
        HintRate = 0,
        TrainPrompts = 400,
        ValidationPrompts = 128,
        TestPrompts = 64,
        Corpus = new PretrainingCorpusOptions { Examples = 2000 },
    }, new TestRunContext(3));

    /// <summary>A fresh copy of the pretrained policy (with its value head).</summary>
    public GptPolicy Load() => GptPolicy.Load(_directory, valueHead: true);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
