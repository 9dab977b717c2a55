namespace Workbench.Vae.Data;

/// <summary>The image data sets the workbench knows how to fetch and load.</summary>
public enum DatasetName
{
    /// <summary>Handwritten digits, 60,000 train + 10,000 test, 28 x 28 grey levels (LeCun, Cortes and Burges).</summary>
    Mnist,

    /// <summary>Clothing, 60,000 train + 10,000 test, 28 x 28 grey levels (Xiao, Rasul and Vollgraf 2017).</summary>
    FashionMnist,
}

/// <summary>Which part of a data set.</summary>
public enum Split
{
    /// <summary>The training file (or what is left of it after <see cref="ImageDataset.SplitValidation"/>).</summary>
    Train,

    /// <summary>Held out from the training file by <see cref="ImageDataset.SplitValidation"/>; there is no validation file.</summary>
    Validation,

    /// <summary>The test file.</summary>
    Test,
}

/// <summary>
/// How grey levels in [0, 1] become binary pixels for a Bernoulli decoder. The choice changes reported
/// log-likelihoods by several nats, so it is part of every experiment's configuration.
/// </summary>
public enum Binarization
{
    /// <summary>Grey levels as they are (pixel / 255).</summary>
    None,

    /// <summary>1 where the grey level is above 0.5, else 0: deterministic.</summary>
    StaticThreshold,

    /// <summary>One Bernoulli draw per pixel with the grey level as probability, made once from a seeded generator and fixed thereafter.</summary>
    StaticSample,

    /// <summary>
    /// A fresh Bernoulli draw per pixel every time an image is served, so every epoch sees new binary images:
    /// the protocol of Burda, Grosse and Salakhutdinov (2016), "Importance Weighted Autoencoders".
    /// </summary>
    Dynamic,
}

/// <summary>A data set could not be fetched: a tool is missing, failed or timed out; the message says what to install or try.</summary>
public sealed class DataFetchException(string message, Exception? inner = null) : IOException(message, inner);
