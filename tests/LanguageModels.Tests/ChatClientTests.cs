using AlignFx.Abstractions.Policies;
using Microsoft.Extensions.AI;

namespace AlignFx.LanguageModels.Tests;

public sealed class ChatClientTests
{
    [Fact]
    public async Task The_chat_client_answers_the_last_user_message_as_the_policy_would_with_the_mapped_options()
    {
        using var policy = Tiny.Policy();
        using IChatClient client = new PolicyChatClient(policy);
        var options = new ChatOptions { Temperature = 0.8f, TopK = 6, MaxOutputTokens = 5, Seed = 12 };
        ChatMessage[] chat = [new(ChatRole.System, "be brief"), new(ChatRole.User, "2+2=?"), new(ChatRole.Assistant, "4"), new(ChatRole.User, "1+2=?")];

        ChatResponse response = await client.GetResponseAsync(chat, options, TestContext.Current.CancellationToken);

        var expected = Tiny.Generate(policy, [new("q", "1+2=?")], new GenerationOptions { Temperature = 0.8f, TopK = 6, MaxNewTokens = 5, Seed = 12 })[0];
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(expected.TokenIds!.Count, response.Usage!.OutputTokenCount);
        Assert.Equal(expected.TokenIds.Count == 5 ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.Same(policy, client.GetService(typeof(IPolicy)));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(chat, options, TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }
        Assert.Equal(expected.Text, string.Concat(updates.Select(u => u.Text)));
    }

    [Fact]
    public async Task A_conversation_without_a_user_message_is_refused()
    {
        using var policy = Tiny.Policy();
        using IChatClient client = new PolicyChatClient(policy);
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.System, "hi")], cancellationToken: TestContext.Current.CancellationToken));
    }
}

public sealed class PolicyChatModelTests
{
    [Fact]
    public async Task The_policy_chat_model_answers_with_the_policy_an_earlier_stage_left_and_counts_tokens_with_its_tokenizer()
    {
        using var policy = Tiny.Policy();
        var bag = new AlignFx.Abstractions.Runs.ArtifactBag();
        bag.Set<IPolicy>(policy, "reference");
        using var model = new PolicyChatModel(new PolicyChatModelOptions { Artifact = "reference", MaxNewTokens = 5, Temperature = 0 }, bag);

        ChatResponse response = await model.GetResponseAsync("1+2=?", cancellationToken: TestContext.Current.CancellationToken);

        var expected = Tiny.Generate(policy, [new("q", "1+2=?")], new GenerationOptions { Temperature = 0, MaxNewTokens = 5 })[0];
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal("reference", response.ModelId);
        Assert.Equal((5L, (long)expected.TokenIds!.Count), (response.Usage!.InputTokenCount!.Value, response.Usage.OutputTokenCount!.Value));
        Assert.Same(policy, model.GetService(typeof(IPolicy)));
    }

    [Fact]
    public void Without_a_checkpoint_an_artifact_or_a_pipeline_policy_the_policy_chat_model_says_what_to_name()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new PolicyChatModel(new PolicyChatModelOptions()));
        Assert.Equal("The policy chat model has no pipeline policy here (outside a run); name a checkpoint.", error.Message);
        var missing = Assert.Throws<DirectoryNotFoundException>(() => new PolicyChatModel(new PolicyChatModelOptions { Checkpoint = "no/such/folder" }));
        Assert.Contains("give the folder pretrain wrote (model.safetensors, model.json, tokenizer.json)", missing.Message, StringComparison.Ordinal);
    }
}
