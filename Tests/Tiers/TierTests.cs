using System.Reflection;

namespace Kodosumi.Tests.Tiers;

/// <summary>Every test belongs to one tier, so `dotnet test --filter Category=Unit` leaves none out by accident.</summary>
[Category("Unit")]
public class TierTests
{
    static readonly string[] Tiers = ["Unit", "Integration", "Browser", "Container", "Resilience"];

    [Test]
    public void Every_test_class_names_exactly_one_tier()
    {
        var fixtures = typeof(TierTests).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetMethods().Any(m =>
                m.GetCustomAttributes<TestAttribute>().Any() || m.GetCustomAttributes<TestCaseAttribute>().Any() || m.GetCustomAttributes<TestCaseSourceAttribute>().Any()))
            .ToList();
        Assert.That(fixtures, Has.Count.GreaterThan(50));
        Assert.Multiple(() =>
        {
            foreach (var fixture in fixtures)
            {
                var tiers = fixture.GetCustomAttributes<CategoryAttribute>(inherit: true).Select(c => c.Name).Where(Tiers.Contains).ToList();
                Assert.That(tiers, Has.Count.EqualTo(1), fixture.FullName);
            }
        });
    }
}
