namespace Sidecars.Fluentd.Tests;
