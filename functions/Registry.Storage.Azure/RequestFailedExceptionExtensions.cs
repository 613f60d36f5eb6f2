using Azure;

namespace Registry.Storage;

/// <summary>Names for the storage statuses the registry reacts to.</summary>
public static class RequestFailedExceptionExtensions
{
    public static bool IsNotFound(this RequestFailedException e) => e.Status == 404;

    public static bool IsConflict(this RequestFailedException e) => e.Status == 409;

    public static bool IsPreconditionFailed(this RequestFailedException e) => e.Status == 412;
}
