//! ResNet18 in the CIFAR style of the dataset-distillation reference code.

use super::layers::{self, Buffers};
use crate::ops::{global_avg_pool, relu};
use crate::{Architecture, NormKind, ParamCursor, ParamSpec, Result};
use candle_core::Tensor;
use trustdd_core::ImageShape;

/// (output channels, stride of the first block) of the four stages, two BasicBlocks each.
const STAGES: [(usize, usize); 4] = [(64, 1), (128, 2), (256, 2), (512, 2)];

/// ResNet18: stem conv 3×3 (64, stride 1, pad 1, no bias) → norm → ReLU; four stages of two
/// BasicBlocks (conv 3×3 → norm → ReLU → conv 3×3 → norm, plus the shortcut, → ReLU), the first
/// block of stages 2–4 with stride 2 and a 1×1 strided conv + norm shortcut; global average
/// pooling → linear 512 → classes. Convolutions have no bias (PyTorch's ResNet). The embedding is
/// the 512-d pooled feature.
///
/// Deviation from the reference code: it ends with `avg_pool2d(out, 4)`, which is global pooling
/// only for 32×32 (and 28×28) inputs; global pooling here works for any size.
#[derive(Debug, Clone)]
pub struct ResNet18 {
    norm: NormKind,
    input: ImageShape,
    num_classes: usize,
}

/// Input channels, output channels and stride of each of the eight blocks, in order.
fn blocks() -> impl Iterator<Item = (usize, usize, usize)> {
    let mut c_in = 64;
    STAGES.iter().flat_map(move |&(c_out, stride)| {
        let first = (c_in, c_out, stride);
        c_in = c_out;
        [first, (c_out, c_out, 1)]
    })
}

impl ResNet18 {
    /// Plans the network.
    ///
    /// # Errors
    /// An invalid-parameter error for zero classes or an empty image.
    pub fn new(norm: NormKind, input: ImageShape, num_classes: usize) -> Result<Self> {
        layers::check_io("resnet18", input, num_classes)?;
        Ok(Self {
            norm,
            input,
            num_classes,
        })
    }

    fn block_specs(
        &self,
        prefix: &str,
        c_in: usize,
        c_out: usize,
        stride: usize,
    ) -> (Vec<ParamSpec>, Vec<ParamSpec>) {
        let n = self.norm;
        let mut p = layers::conv_specs(&format!("{prefix}.conv1"), c_in, c_out, 3, false);
        p.extend(layers::norm_specs(&format!("{prefix}.bn1"), n, c_out));
        p.extend(layers::conv_specs(
            &format!("{prefix}.conv2"),
            c_out,
            c_out,
            3,
            false,
        ));
        p.extend(layers::norm_specs(&format!("{prefix}.bn2"), n, c_out));
        let mut b = layers::norm_buffer_specs(&format!("{prefix}.bn1"), n, c_out);
        b.extend(layers::norm_buffer_specs(
            &format!("{prefix}.bn2"),
            n,
            c_out,
        ));
        if stride != 1 || c_in != c_out {
            p.extend(layers::conv_specs(
                &format!("{prefix}.shortcut.0"),
                c_in,
                c_out,
                1,
                false,
            ));
            p.extend(layers::norm_specs(
                &format!("{prefix}.shortcut.1"),
                n,
                c_out,
            ));
            b.extend(layers::norm_buffer_specs(
                &format!("{prefix}.shortcut.1"),
                n,
                c_out,
            ));
        }
        (p, b)
    }

    fn all_specs(&self) -> (Vec<ParamSpec>, Vec<ParamSpec>) {
        let mut p = layers::conv_specs("conv1", self.input.channels, 64, 3, false);
        p.extend(layers::norm_specs("bn1", self.norm, 64));
        let mut b = layers::norm_buffer_specs("bn1", self.norm, 64);
        for (i, (c_in, c_out, stride)) in blocks().enumerate() {
            let (bp, bb) = self.block_specs(
                &format!("layer{}.{}", i / 2 + 1, i % 2),
                c_in,
                c_out,
                stride,
            );
            p.extend(bp);
            b.extend(bb);
        }
        p.extend(layers::linear_specs("classifier", 512, self.num_classes));
        (p, b)
    }
}

impl Architecture for ResNet18 {
    fn name(&self) -> String {
        format!("resnet18-{}", format!("{:?}", self.norm).to_lowercase())
    }
    fn input_shape(&self) -> ImageShape {
        self.input
    }
    fn num_classes(&self) -> usize {
        self.num_classes
    }
    fn embed_dim(&self) -> usize {
        512
    }
    fn param_specs(&self) -> Vec<ParamSpec> {
        self.all_specs().0
    }
    fn buffer_specs(&self) -> Vec<ParamSpec> {
        self.all_specs().1
    }
    fn embed(
        &self,
        params: &mut ParamCursor<'_>,
        buffers: Option<&mut [Tensor]>,
        x: &Tensor,
        train: bool,
    ) -> Result<Tensor> {
        let n = self.norm;
        let mut buffers = Buffers::new(buffers);
        let h = layers::conv(params, x, false, 1, 1)?;
        let mut h = relu(&layers::norm(n, &h, params, &mut buffers, train)?)?;
        for (c_in, c_out, stride) in blocks() {
            let out = layers::conv(params, &h, false, stride, 1)?;
            let out = relu(&layers::norm(n, &out, params, &mut buffers, train)?)?;
            let out = layers::conv(params, &out, false, 1, 1)?;
            let out = layers::norm(n, &out, params, &mut buffers, train)?;
            let shortcut = if stride != 1 || c_in != c_out {
                let s = layers::conv(params, &h, false, stride, 0)?;
                layers::norm(n, &s, params, &mut buffers, train)?
            } else {
                h
            };
            h = relu(&(out + shortcut)?)?;
        }
        buffers.finish()?;
        global_avg_pool(&h)
    }
    fn head(&self, params: &mut ParamCursor<'_>, embedding: &Tensor) -> Result<Tensor> {
        layers::dense(params, embedding)
    }
}
