"""Adapting the speech model's decoder to a customer's text (the training job's optional step):
`speech` makes the training audio, `decoder` is the decoder in torch, `train` fine-tunes it.
Imports torch: only the training job loads this package (`adapted` applies its result)."""
