namespace Workbench.Vae;
