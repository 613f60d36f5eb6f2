using System.Net;
using Registry.Caching;

namespace Registry.Tests.Unit;

/// <summary>The addresses a mirroring remote may not be at unless private networks are allowed.</summary>
public sealed class RemoteConnectionsTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.8.9.10", true)]
    [InlineData("::1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]   // the cloud's instance metadata service
    [InlineData("100.64.0.1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("8.8.8.8", false)]
    [InlineData("20.50.2.1", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void IsPrivate_Address_AsItsRange(string address, bool expected) =>
        Assert.Equal(expected, RemoteConnections.IsPrivate(IPAddress.Parse(address)));
}
