# %% ex1-softmax
def softmax(logits):
    return None

# %% ex2-cross-entropy
def cross_entropy(logits, labels):
    raise ValueError("labels look wrong to me")

# %% ex3-accuracy
def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()

# %% ex4-classifier
def build_classifier(num_inputs, num_classes):
    return lambda x: x  # not a module

# %% ex5-confusion
def confusion_matrix(true, predicted, num_classes):
    return confusion_matrix(true, predicted, num_classes)
