# %% ex1-softmax
def softmax(logits):
    # No max-shift: exp overflows for large logits.
    exps = logits.exp()
    return exps / exps.sum(dim=1, keepdim=True)

# %% ex2-cross-entropy
def cross_entropy(logits, labels):
    # Applies softmax before the cross-entropy.
    return nn.CrossEntropyLoss()(torch.softmax(logits, dim=1), labels)

# %% ex3-accuracy
def accuracy(logits, labels):
    return (logits.argmax(dim=0) == labels).float().mean().item()

# %% ex4-classifier
def build_classifier(num_inputs, num_classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(num_inputs, num_classes), nn.Softmax(dim=1))

# %% ex5-confusion
def confusion_matrix(true, predicted, num_classes):
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    matrix.index_put_((true, predicted), torch.ones_like(true), accumulate=True)
    return matrix
