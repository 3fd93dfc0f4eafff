namespace AlignFx.Host.Tests;

public class SmokeTests
{
    [Fact]
    public void HostAssemblyLoads() => Assert.Equal("alignfx", typeof(AlignFx.Host.Program).Assembly.GetName().Name);
}
