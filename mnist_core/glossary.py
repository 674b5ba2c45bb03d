"""术语对照: the words a Chinese student meets in the tutorials this app grew from (../shared/seeds/) and in
PyTorch, each with its English term, a one-line meaning and the page of the app that shows it.

The Chinese term is the term itself (what the seed tutorials and Chinese courses write), not a
translation of the interface: it stays the same in either language. The meaning is written in English
and marked ``N_``; the catalog holds its Chinese, and the page shows both.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnist_core.i18n import N_, translations

# page file stem -> its title (the same texts as app.py's navigation, so one translation serves both)
PAGES = {
    "dataset": N_("Dataset"), "architecture": N_("Architecture"), "training": N_("Training"),
    "timetravel": N_("Time travel"), "sweep": N_("Class sweep"), "draw": N_("Draw"),
    "inside": N_("Inside the CNN"), "why": N_("Why it decides"), "experiments": N_("Experiments"),
    "evaluation": N_("Evaluation"),
}


@dataclass(frozen=True)
class Term:
    zh: str          # the Chinese term, as the tutorials write it
    en: str          # the English term (PyTorch's name in parentheses where it has one)
    meaning: str     # one line, English, marked N_ (its Chinese comes from the catalog)
    page: str        # the stem of the page that shows it (a key of PAGES)

    def meaning_in(self, lang: str) -> str:
        return translations(lang).gettext(self.meaning)


TERMS: tuple[Term, ...] = (
    Term("卷积", "convolution (nn.Conv2d)",
         N_("A small window of weights slides over the image; at each place it multiplies and adds up the pixels "
            "under it."), "architecture"),
    Term("卷积核", "kernel, filter",
         N_("The small grid of weights a convolution slides over the image; each kernel learns to respond to one "
            "pattern, such as an edge."), "inside"),
    Term("特征图", "feature map",
         N_("What one kernel makes of the whole image: bright where its pattern is found."), "inside"),
    Term("通道", "channel",
         N_("One layer of numbers in a picture or feature map; a grey digit has one, a convolution makes one per "
            "kernel."), "architecture"),
    Term("步长", "stride",
         N_("How many pixels the window moves at a time; a stride of 2 halves the width and height."),
         "architecture"),
    Term("填充", "padding",
         N_("Zeros added around the border so that the window also fits at the edges."), "architecture"),
    Term("池化", "pooling (nn.MaxPool2d)",
         N_("Shrinks a feature map by keeping the largest (max pooling) or the average value of each small "
            "block."), "architecture"),
    Term("感受野", "receptive field",
         N_("The patch of the input image that one value of a feature map depends on; it grows layer by layer."),
         "architecture"),
    Term("展平", "flatten (nn.Flatten)",
         N_("Turns the stack of feature maps into one long row of numbers for the fully connected layers."),
         "architecture"),
    Term("全连接层", "fully connected layer (nn.Linear)",
         N_("A layer in which every output is a weighted sum of every input; the last one gives one score per "
            "digit."), "architecture"),
    Term("激活函数", "activation function (ReLU, Sigmoid, Tanh)",
         N_("A function applied after a layer, without which stacked layers would be no better than one; ReLU "
            "keeps positive values and sets negative ones to zero."), "architecture"),
    Term("权重", "weight, parameter",
         N_("The numbers the network learns; the Architecture page counts them layer by layer."), "architecture"),
    Term("偏置", "bias",
         N_("A number added to a layer's weighted sum, learnt like the weights."), "architecture"),
    Term("批归一化", "batch normalization (nn.BatchNorm2d)",
         N_("Rescales each channel over the batch to a steady range, so that training can use a higher "
            "learning rate."), "architecture"),
    Term("Dropout", "dropout (nn.Dropout)",
         N_("During training, sets a random share of the values to zero, so the network cannot lean on any one "
            "of them."), "architecture"),
    Term("softmax", "softmax",
         N_("Turns the ten scores into probabilities that add up to 1."), "draw"),
    Term("训练集 / 测试集", "training set / test set",
         N_("The digits the network learns from, and the digits kept apart to measure it fairly."), "dataset"),
    Term("验证集", "validation set",
         N_("A share of the training digits held back during training, to watch for overfitting and to "
            "calibrate."), "training"),
    Term("损失函数", "loss function",
         N_("One number that says how wrong the network's answers are; training pushes it down."), "training"),
    Term("交叉熵", "cross-entropy (nn.CrossEntropyLoss)",
         N_("The usual loss for classification: minus the log of the probability given to the right digit."),
         "training"),
    Term("梯度", "gradient",
         N_("How much the loss would change if a weight (or a pixel) changed a little; it shows which way to "
            "move."), "why"),
    Term("反向传播", "backpropagation",
         N_("Working out the gradient of the loss for every weight, from the output back to the first layer."),
         "training"),
    Term("优化器", "optimizer (SGD, Adam)",
         N_("The rule that uses the gradients to update the weights after each batch."), "training"),
    Term("学习率", "learning rate (lr)",
         N_("How big a step the optimizer takes; too high and the loss explodes or stalls, too low and it learns "
            "slowly."), "training"),
    Term("批大小", "batch size",
         N_("How many digits the network sees before each update of its weights."), "training"),
    Term("轮（epoch）", "epoch",
         N_("One pass over all the training digits."), "training"),
    Term("迭代 / 步", "iteration, step",
         N_("One update of the weights, after one batch."), "training"),
    Term("学习率调度", "learning-rate schedule",
         N_("How the learning rate changes during training, such as one-cycle: up, then down."), "training"),
    Term("权重衰减", "weight decay",
         N_("Pulls every weight a little towards zero at each step, against overfitting."), "training"),
    Term("数据增强", "data augmentation",
         N_("Training on slightly turned, shifted and thickened copies of the digits, so that the network "
            "reads handwriting it has not seen."), "training"),
    Term("超参数", "hyperparameter",
         N_("A setting chosen before training (learning rate, batch size), not learnt."), "sweep"),
    Term("过拟合", "overfitting",
         N_("The network learns the training digits by heart and does worse on new ones."), "training"),
    Term("发散", "divergence",
         N_("The loss grows to infinity or NaN: the steps are so large that the weights blow up."), "training"),
    Term("准确率", "accuracy",
         N_("The share of digits the network reads right."), "evaluation"),
    Term("混淆矩阵", "confusion matrix",
         N_("A 10 by 10 table: how often each true digit was read as each answer."), "evaluation"),
    Term("置信度 / 校准", "confidence / calibration",
         N_("How sure the network says it is; calibrated, 90% sure means right about 9 times in 10."),
         "evaluation"),
    Term("显著图", "saliency map",
         N_("A picture of which pixels mattered most for the answer."), "why"),
    Term("降维（PCA、t-SNE）", "dimensionality reduction (PCA, t-SNE)",
         N_("Drawing many-numbered digits as points on a flat map, similar ones close together."), "dataset"),
)


def search(words: str, lang: str = "en") -> list[Term]:
    """The terms whose Chinese, English or meaning (in English or ``lang``) contains ``words`` (any case):
    those that match by their name first, then those whose meaning mentions it."""
    q = words.strip().lower()
    if not q:
        return list(TERMS)
    by_name = [t for t in TERMS if q in t.zh.lower() or q in t.en.lower()]
    by_meaning = [t for t in TERMS if t not in by_name and any(
        q in s.lower() for s in (t.meaning, t.meaning_in(lang), t.meaning_in("zh")))]
    return by_name + by_meaning
