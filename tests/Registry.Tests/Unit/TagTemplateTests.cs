using Registry.Services;

namespace Registry.Tests.Unit;

/// <summary>DTR's tag template directives, at Sunday 7 June 2015 14:05:09.123456 UTC (day 158, Monday-week 22).</summary>
public sealed class TagTemplateTests
{
    private static readonly DateTimeOffset Time = new DateTimeOffset(2015, 6, 7, 14, 5, 9, TimeSpan.Zero).AddTicks(1234560);

    [Theory]
    [InlineData("%n", "v1.2")]
    [InlineData("%A", "Sunday")]
    [InlineData("%a", "Sun")]
    [InlineData("%w", "0")]
    [InlineData("%d", "07")]
    [InlineData("%B", "June")]
    [InlineData("%b", "Jun")]
    [InlineData("%m", "06")]
    [InlineData("%Y", "2015")]
    [InlineData("%y", "15")]
    [InlineData("%H", "14")]
    [InlineData("%I", "02")]
    [InlineData("%p", "PM")]
    [InlineData("%M", "05")]
    [InlineData("%S", "09")]
    [InlineData("%f", "123456")]
    [InlineData("%Z", "UTC")]
    [InlineData("%j", "158")]
    [InlineData("%W", "22")]
    [InlineData("%%", "%")]
    [InlineData("%n-%Y%m%d", "v1.2-20150607")]
    [InlineData("prod", "prod")]
    public void Render_Directive_WritesItsValue(string template, string expected) =>
        Assert.Equal(expected, TagTemplate.Render(template, "v1.2", Time));

    [Theory]
    [InlineData(2015, 1, 4, "00")]    // a Sunday before the year's first Monday
    [InlineData(2015, 1, 5, "01")]    // the first Monday
    [InlineData(2018, 1, 1, "01")]    // the year starts on a Monday
    [InlineData(2018, 12, 31, "53")]
    public void Render_WeekOfYear_CountsFromTheFirstMonday(int year, int month, int day, string expected) =>
        Assert.Equal(expected, TagTemplate.Render("%W", "x", new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero)));

    [Theory]
    [InlineData(0, "12")]
    [InlineData(11, "11")]
    [InlineData(12, "12")]
    [InlineData(23, "11")]
    public void Render_TwelveHourClock_HasNoZeroHour(int hour, string expected) =>
        Assert.Equal(expected, TagTemplate.Render("%I", "x", new DateTimeOffset(2020, 1, 1, hour, 0, 0, TimeSpan.Zero)));

    [Theory]
    [InlineData("%n-%H%M")]
    [InlineData("release-%Y.%m.%d")]
    [InlineData("%a_%b")]
    public void Validate_WellFormed_ReturnsNull(string template) => Assert.Null(TagTemplate.Validate(template));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("%q")]
    [InlineData("v%")]
    [InlineData("%%")]              // renders a percent sign, not allowed in a tag
    [InlineData("a/b")]
    [InlineData("-%n")]             // a tag cannot start with '-'
    public void Validate_Malformed_SaysWhy(string? template) => Assert.NotNull(TagTemplate.Validate(template));

    [Fact]
    public void Validate_TooLong_SaysWhy() => Assert.NotNull(TagTemplate.Validate(new string('a', 129)));
}
