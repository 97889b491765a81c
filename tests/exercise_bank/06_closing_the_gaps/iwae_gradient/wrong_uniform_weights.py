# wrong: the plain average of the per-sample gradients (the K-sample ELBO's gradient, not the IWAE's)
def iwae_gradient(log_w, grads):
    return grads.mean(dim=0)
