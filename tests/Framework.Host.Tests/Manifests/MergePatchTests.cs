using System.Text.Json.Nodes;
using AlignFx.Host.Manifests;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>JSON Merge Patch per RFC 7396: the RFC's own examples, and algebraic properties over random documents.</summary>
public class MergePatchTests
{
    // RFC 7396 Appendix A: original, patch, result.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void RfcAppendixExamples(string original, string patch, string expected)
    {
        var result = JsonMergePatch.Apply(JsonNode.Parse(original), JsonNode.Parse(patch));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result?.ToJsonString() ?? "null");
    }

    [Property(Arbitrary = [typeof(JsonArbitraries)])]
    public bool EmptyPatchIsIdentityOnObjects(JsonDoc target) =>
        target.Node is not JsonObject || JsonNode.DeepEquals(target.Node, JsonMergePatch.Apply(target.Node, new JsonObject()));

    [Property(Arbitrary = [typeof(JsonArbitraries)])]
    public bool InputsAreNotChanged(JsonDoc target, JsonDoc patch)
    {
        var targetBefore = target.Node?.ToJsonString();
        var patchBefore = patch.Node?.ToJsonString();
        JsonMergePatch.Apply(target.Node, patch.Node);
        return target.Node?.ToJsonString() == targetBefore && patch.Node?.ToJsonString() == patchBefore;
    }

    [Property(Arbitrary = [typeof(JsonArbitraries)])]
    public bool NullMemberRemovesAndOthersAreSet(JsonDoc target, JsonDoc patch)
    {
        if (patch.Node is not JsonObject members)
            return JsonNode.DeepEquals(patch.Node, JsonMergePatch.Apply(target.Node, patch.Node));
        var result = (JsonObject)JsonMergePatch.Apply(target.Node, patch.Node)!;
        foreach (var (name, value) in members)
        {
            if (value is null ? result.ContainsKey(name) : !result.ContainsKey(name))
                return false;
            if (value is not null and not JsonObject && !JsonNode.DeepEquals(value, result[name]))
                return false;
        }

        // Members the patch does not mention are kept as they were.
        return target.Node is not JsonObject original
               || original.Where(p => !members.ContainsKey(p.Key)).All(p => JsonNode.DeepEquals(p.Value, result[p.Key]));
    }

    [Property(Arbitrary = [typeof(JsonArbitraries)])]
    public bool ApplyingTheSamePatchTwiceChangesNothingMore(JsonDoc target, JsonDoc patch)
    {
        var once = JsonMergePatch.Apply(target.Node, patch.Node);
        return JsonNode.DeepEquals(once, JsonMergePatch.Apply(once, patch.Node));
    }

    [Property(Arbitrary = [typeof(JsonArbitraries)])]
    public bool PatchOntoEmptyObjectIsThePatchWithoutNullMembers(JsonDoc patch) =>
        JsonNode.DeepEquals(WithoutNullMembers(patch.Node), JsonMergePatch.Apply(new JsonObject(), patch.Node));

    [Property(Arbitrary = [typeof(JsonArbitraries)])]
    public bool NonObjectPatchReplacesTheTarget(JsonDoc target, JsonDoc patch) =>
        patch.Node is JsonObject || JsonNode.DeepEquals(patch.Node, JsonMergePatch.Apply(target.Node, patch.Node));

    /// <summary>An independent statement of the RFC's rule for an empty target: object members that are null disappear, recursively.</summary>
    private static JsonNode? WithoutNullMembers(JsonNode? node)
    {
        if (node is not JsonObject obj)
            return node?.DeepClone();
        var result = new JsonObject();
        foreach (var (name, value) in obj)
        {
            if (value is not null)
                result[name] = WithoutNullMembers(value);
        }

        return result;
    }
}

/// <summary>A JSON document for FsCheck (a C# null is JSON null); prints as JSON when a property fails.</summary>
public sealed record JsonDoc(JsonNode? Node)
{
    public override string ToString() => Node?.ToJsonString() ?? "null";
}

public static class JsonArbitraries
{
    private static readonly string[] Keys = ["a", "b", "c", "d"];

    public static Arbitrary<JsonDoc> Documents() => Arb.From(Gen.Sized(size => Value(Math.Min(size, 6))).Select(n => new JsonDoc(n)));

    private static Gen<JsonNode?> Value(int depth)
    {
        var scalar = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            Gen.Choose(-3, 3).Select(i => (JsonNode?)JsonValue.Create(i)),
            Gen.Elements("x", "y").Select(s => (JsonNode?)JsonValue.Create(s)),
            Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)));
        if (depth <= 0)
            return scalar;
        var child = Value(depth / 2);
        var array = Gen.Choose(0, 3).SelectMany(n => Gen.ListOf(child, n)).Select(items => (JsonNode?)new JsonArray([.. items]));
        var member = Gen.Elements(Keys).SelectMany(_ => child, (k, v) => (k, v));
        var obj = Gen.Choose(0, 4).SelectMany(n => Gen.ListOf(member, n)).Select(members =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in members)
                o[k] = v;
            return (JsonNode?)o;
        });
        return Gen.Frequency((2, scalar), (1, array), (4, obj));
    }
}
