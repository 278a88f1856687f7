namespace Sidecars.Fluentd;
