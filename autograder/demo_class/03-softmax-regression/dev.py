# %% ex1-softmax
def softmax(logits):
    return None

# %% ex2-cross-entropy
def cross_entropy(logits, labels):
    raise ValueError("labels look wrong to me")

# %% ex3-ce-gradient
def cross_entropy_gradient(logits, labels):
    return (torch.softmax(logits) - nn.functional.one_hot(labels)) / len(labels)

# %% ex4-classifier
def build_classifier(num_inputs, num_classes):
    return lambda x: x  # not a module

# %% ex5-confusion
def confusion_matrix(true, predicted, num_classes):
    return confusion_matrix(true, predicted, num_classes)
