namespace Kodosumi.Tests.Support;

/// <summary>A test class whose every test gets an empty folder of its own, deleted after the test.</summary>
public abstract class TempFolderTest
{
    protected string TempDir { get; private set; } = "";

    [SetUp]
    public void CreateTempDir() => TempDir = TempDirs.Create("kodo-" + GetType().Name);

    [TearDown]
    public void DeleteTempDir() => TempDirs.Delete(TempDir);
}
