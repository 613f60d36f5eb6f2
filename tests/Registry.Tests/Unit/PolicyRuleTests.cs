using Registry.Services;

namespace Registry.Tests.Unit;

/// <summary>Every pruning rule operator, durations, validation, and CRON schedules.</summary>
public sealed class PolicyRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("eq", "dev", "dev", true)]
    [InlineData("eq", "dev", "dev2", false)]
    [InlineData("sw", "pr-", "pr-12", true)]
    [InlineData("sw", "pr-", "x-pr-12", false)]
    [InlineData("ew", "-rc", "1.0-rc", true)]
    [InlineData("ew", "-rc", "1.0-rc1", false)]
    [InlineData("c", "tmp", "build-tmp-3", true)]
    [InlineData("c", "tmp", "build", false)]
    [InlineData("oo", "a,b", "b", true)]
    [InlineData("oo", "a,b", "c", false)]
    [InlineData("noo", "a,b", "c", true)]
    [InlineData("noo", "a,b", "a", false)]
    public void Matches_TagOperator_DecidesOnTheName(string op, string values, string tag, bool expected)
    {
        var rule = new PolicyRule("tag", op, values.Split(','));
        Assert.Null(rule.Validate());
        Assert.Equal(expected, rule.Matches(tag, Now, Now));
    }

    [Theory]
    [InlineData("updated_at", "bf", "2026-05-01T00:00:00Z", -40, true)]
    [InlineData("updated_at", "bf", "2026-05-01T00:00:00Z", -20, false)]
    [InlineData("updated_at", "af", "2026-05-01T00:00:00Z", -20, true)]
    [InlineData("updated_at_duration", "bf", "720h", -31, true)]
    [InlineData("updated_at_duration", "bf", "720h", -29, false)]
    [InlineData("updated_at_duration", "af", "720h", -29, true)]
    public void Matches_TimeOperator_ComparesLastUpdate(string field, string op, string value, int daysAgo, bool expected)
    {
        var rule = new PolicyRule(field, op, [value]);
        Assert.Null(rule.Validate());
        Assert.Equal(expected, rule.Matches("t", Now.AddDays(daysAgo), Now));
    }

    [Theory]
    [InlineData("720h", 720 * 60)]
    [InlineData("1h30m", 90)]
    [InlineData("1.5h", 90)]
    [InlineData("90m", 90)]
    [InlineData("3600s", 60)]
    [InlineData("90000ms", 1.5)]
    [InlineData("2562047h", 2562047 * 60)]
    public void ParseDuration_GoForm_ReadsMinutes(string value, double minutes) =>
        Assert.Equal(TimeSpan.FromMinutes(minutes), GoDuration.Parse(value));

    [Theory]
    [InlineData("")]
    [InlineData("30d")]
    [InlineData("h")]
    [InlineData("-1h")]
    [InlineData("1 h")]
    [InlineData("2562048h")]
    [InlineData("99999999999999h")]
    [InlineData("1000000000h")]
    public void ParseDuration_NotGoOrTooLong_ReturnsNull(string value) => Assert.Null(GoDuration.Parse(value));

    [Theory]
    [InlineData("tag", "gt", "a")]
    [InlineData("size", "eq", "a")]
    [InlineData("vulnerability_critical", "gte", "many")]
    [InlineData("vulnerability_all", "gte", "-1")]
    [InlineData("vulnerability_major", "c", "1")]
    [InlineData("license.name", "sw", "GPL")]
    [InlineData("updated_at", "bf", "not a time")]
    [InlineData("updated_at_duration", "bf", "30d")]
    [InlineData("tag", "eq", "")]
    public void Validate_BadRule_SaysWhy(string field, string op, string value)
    {
        var rule = new PolicyRule(field, op, value.Length == 0 ? [] : [value]);
        Assert.NotNull(rule.Validate());
    }

    private static readonly ImageFacts Scanned = new(1, 2, 0,
        new HashSet<string> { "openssl", "musl" }, new HashSet<string> { "MIT", "OpenSSL" });

    [Theory]
    [InlineData("vulnerability_critical", "gte", "1", true)]
    [InlineData("vulnerability_critical", "gt", "1", false)]
    [InlineData("vulnerability_major", "eq", "2", true)]
    [InlineData("vulnerability_major", "neq", "2", false)]
    [InlineData("vulnerability_minor", "lte", "0", true)]
    [InlineData("vulnerability_minor", "lt", "0", false)]
    [InlineData("vulnerability_all", "eq", "3", true)]
    [InlineData("component.name", "oo", "openssl", true)]
    [InlineData("component.name", "noo", "openssl", false)]
    [InlineData("component.name", "sw", "ope", true)]
    [InlineData("component.name", "ew", "usl", true)]
    [InlineData("component.name", "c", "pens", true)]
    [InlineData("component.name", "eq", "zlib", false)]
    [InlineData("license.name", "oo", "GPL-2.0", false)]
    [InlineData("license.name", "noo", "GPL-2.0", true)]
    public void Matches_ScanField_ComparesScanResults(string field, string op, string value, bool expected)
    {
        var rule = new PolicyRule(field, op, [value]);
        Assert.Null(rule.Validate());
        Assert.Equal(expected, rule.Matches("v1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, Scanned));
    }

    [Theory]
    [InlineData("vulnerability_all", "gte", "0")]
    [InlineData("license.name", "noo", "GPL-2.0")]
    public void Matches_ScanFieldOfUnscannedImage_False(string field, string op, string value) =>
        Assert.False(new PolicyRule(field, op, [value]).Matches("v1", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, facts: null));

    [Fact]
    public void CronSchedule_SixFields_NextIsStrictlyAfterPrevious()
    {
        Assert.True(CronSchedule.TryParse("0 */15 * * * *", out var schedule));
        var previous = new DateTimeOffset(2026, 1, 1, 10, 15, 0, TimeSpan.Zero);
        Assert.Equal(previous.AddMinutes(15), schedule!.Next(previous));
        Assert.False(CronSchedule.TryParse("*/15 * * * *", out _));   // five fields: seconds are required
        Assert.False(CronSchedule.TryParse("not cron", out _));
    }
}
