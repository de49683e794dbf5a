"""Side panels for the Image and Image + edit modes."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from app.query_types import ImageRef
from app.widgets.reference_chip import ReferenceChip

SLIDER_STEPS = 100
WEIGHT_DELAY_MS = 200


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("PanelTitle")
    return label


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("PanelHint")
    label.setWordWrap(True)
    return label


class ImagePanel(QWidget):
    """Image mode: one reference photo.

    Signals:
        referenceChanged(ImageRef): forwarded from the chip (None when cleared).
    """

    referenceChanged = Signal(ImageRef)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.chip = ReferenceChip(self, title="Query photo")
        self.chip.changed.connect(self.referenceChanged)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(_title("Search by photo"))
        layout.addWidget(_hint("Drop a photo anywhere on the window, paste one, or right-click "
                               "a result and choose Find similar."))
        layout.addWidget(self.chip)
        layout.addWidget(_hint("Words with a minus in the search bar (-people) push results away."))
        layout.addStretch(1)


class BlendSlider(QWidget):
    """A slider from "more like the photo" (0) to "more like the words" (1).

    Signals:
        weightChanged(float): the text weight in [0, 1], after a short pause.
    """

    weightChanged = Signal(float)

    def __init__(self, default_weight: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.default_weight = default_weight
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("BlendSlider")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setPageStep(10)
        self.slider.setAccessibleName("Balance between the photo and the words")
        self.slider.setValue(round(default_weight * SLIDER_STEPS))
        self.slider.setToolTip("Double-click the label to reset")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WEIGHT_DELAY_MS)
        self._timer.timeout.connect(self._emit_weight)
        self.slider.valueChanged.connect(self._on_value)

        left = QLabel("More like\nthe photo")
        left.setObjectName("PanelHint")
        right = QLabel("More like\nthe words")
        right.setObjectName("PanelHint")
        right.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.value_label = QLabel()
        self.value_label.setObjectName("SectionLabel")
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        labels = QHBoxLayout()
        labels.setContentsMargins(0, 0, 0, 0)
        labels.addWidget(left)
        labels.addStretch(1)
        labels.addWidget(right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.slider)
        layout.addLayout(labels)
        self._update_label()

    def weight(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def _emit_weight(self) -> None:
        self.weightChanged.emit(self.weight())

    def set_weight(self, weight: float) -> None:
        self.slider.setValue(round(weight * SLIDER_STEPS))

    def reset(self) -> None:
        self.set_weight(self.default_weight)

    def _on_value(self, _value: int) -> None:
        self._update_label()
        self._timer.start()

    def _update_label(self) -> None:
        w = self.weight()
        self.value_label.setText(f"PHOTO {round((1 - w) * 100)} · WORDS {round(w * 100)}")

    def mouseDoubleClickEvent(self, event) -> None:
        self.reset()


class EditPanel(QWidget):
    """Image + edit mode: reference photo, edit words (in the search bar), blend.

    Signals:
        referenceChanged(ImageRef): forwarded from the chip (None when cleared).
        weightChanged(float): forwarded from the slider.
    """

    referenceChanged = Signal(ImageRef)
    weightChanged = Signal(float)

    def __init__(self, default_weight: float, parent: QWidget | None = None):
        super().__init__(parent)
        self.chip = ReferenceChip(self, title="Reference photo")
        self.chip.changed.connect(self.referenceChanged)
        self.blend = BlendSlider(default_weight, self)
        self.blend.weightChanged.connect(self.weightChanged)
        section = QLabel("BALANCE")
        section.setObjectName("SectionLabel")
        head = QHBoxLayout()
        head.addWidget(section)
        head.addStretch(1)
        head.addWidget(self.blend.value_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(_title("Photo + words"))
        layout.addWidget(_hint("Start from a photo and describe the change in the search bar: "
                               "“at night”, “in winter”, “with a dog”."))
        layout.addWidget(self.chip)
        layout.addSpacing(8)
        layout.addLayout(head)
        layout.addWidget(self.blend)
        layout.addStretch(1)

    def weight(self) -> float:
        return self.blend.weight()
