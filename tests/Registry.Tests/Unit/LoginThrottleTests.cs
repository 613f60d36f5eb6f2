using Microsoft.Extensions.Options;
using Registry.Auth;
using Registry.Options;
using Registry.Tests.Support;

namespace Registry.Tests.Unit;

/// <summary>Login throttling: per address and per account and address, with doubling waits, never per account alone.</summary>
public sealed class LoginThrottleTests
{
    private readonly ManualTime _time = new();
    private readonly LoginThrottle _throttle;

    public LoginThrottleTests() =>
        _throttle = new LoginThrottle(Microsoft.Extensions.Options.Options.Create(new AuthOptions
        {
            MaxFailedLogins = 5,
            MaxFailedLoginsPerAddress = 30,
            FailureWindow = TimeSpan.FromMinutes(5),
        }), _time);

    [Fact]
    public void IsLocked_FailuresBeyondTheAllowance_WaitDoublesForThatAddressOnly()
    {
        // Arrange: five failures of admin from the attacker's address
        for (var i = 0; i < 5; i++)
        {
            Assert.False(_throttle.IsLocked("admin", "attacker"));
            _throttle.RecordFailure("admin", "attacker");
        }

        // Act and assert: one second, then two, then four
        Assert.True(_throttle.IsLocked("admin", "attacker"));
        Assert.False(_throttle.IsLocked("admin", "owner"));
        _time.Advance(TimeSpan.FromSeconds(1.1));
        Assert.False(_throttle.IsLocked("admin", "attacker"));
        _throttle.RecordFailure("admin", "attacker");
        _time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.True(_throttle.IsLocked("admin", "attacker"));
        _time.Advance(TimeSpan.FromSeconds(0.6));
        Assert.False(_throttle.IsLocked("admin", "attacker"));
        _throttle.RecordFailure("admin", "attacker");
        _time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.True(_throttle.IsLocked("admin", "attacker"));
        Assert.False(_throttle.IsLocked("admin", "owner"));

        // ... and the window forgets
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.False(_throttle.IsLocked("admin", "attacker"));
    }

    [Fact]
    public void IsLocked_ManyAccountsFromOneAddress_AddressRefusedOthersNot()
    {
        // Arrange: one failure each for 30 accounts from one address
        for (var i = 0; i < 30; i++)
        {
            _throttle.RecordFailure("user" + i, "sprayer");
        }

        // Act and assert
        Assert.True(_throttle.IsLocked("someone-else", "sprayer"));
        Assert.False(_throttle.IsLocked("user1", "elsewhere"));
    }

    [Fact]
    public void RecordSuccess_AfterFailures_ClearsThatPair()
    {
        for (var i = 0; i < 5; i++)
        {
            _throttle.RecordFailure("dev", "laptop");
        }

        _throttle.RecordSuccess("dev", "laptop");

        Assert.False(_throttle.IsLocked("dev", "laptop"));
    }
}
