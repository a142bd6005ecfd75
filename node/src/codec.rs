//! Peer messages on libp2p streams: one message per request stream, framed by a big-endian
//! `u32` length and checked against the frame limit before anything is allocated; the frame
//! itself is the core's versioned CBOR (`sift_core::wire`). The response is empty: it only
//! tells the sender the message was taken in.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response::Codec;
use sift_core::Message;
use sift_core::wire;
use sift_matcher::EventLimits;

pub(crate) const PROTOCOL: StreamProtocol = StreamProtocol::new("/sift/messages/1");

#[derive(Clone, Debug)]
pub(crate) struct WireCodec {
    pub(crate) max_frame: usize,
    pub(crate) limits: EventLimits,
}

impl Default for WireCodec {
    fn default() -> Self {
        WireCodec {
            max_frame: wire::DEFAULT_MAX_FRAME,
            limits: EventLimits::default(),
        }
    }
}

fn invalid(error: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error.to_string())
}

impl Codec for WireCodec {
    type Protocol = StreamProtocol;
    type Request = Message;
    type Response = ();

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Message>
    where
        T: AsyncRead + Unpin + Send,
    {
        let mut len = [0u8; 4];
        io.read_exact(&mut len).await?;
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max_frame {
            return Err(invalid(format!(
                "a frame of {len} bytes is over the limit of {}",
                self.max_frame
            )));
        }
        let mut frame = vec![0; len];
        io.read_exact(&mut frame).await?;
        wire::decode(&frame, self.max_frame, &self.limits).map_err(invalid)
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, _: &mut T) -> io::Result<()>
    where
        T: AsyncRead + Unpin + Send,
    {
        Ok(())
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        msg: Message,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        let frame = wire::encode(&msg);
        if frame.len() > self.max_frame {
            return Err(invalid(format!(
                "a message of {} bytes is over the frame limit of {}",
                frame.len(),
                self.max_frame
            )));
        }
        io.write_all(&(frame.len() as u32).to_be_bytes()).await?;
        io.write_all(&frame).await?;
        io.close().await
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, (): ()) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.close().await
    }
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;
    use sift_core::wire::Message;

    use super::*;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures::executor::block_on(future)
    }

    #[test]
    fn frames_round_trip_and_oversize_lengths_are_refused_before_reading() {
        let mut codec = WireCodec::default();
        let msg = Message::Retract { subs: Vec::new() };
        let mut buffer = Cursor::new(Vec::new());
        block_on(codec.write_request(&PROTOCOL, &mut buffer, msg.clone())).unwrap();
        let mut reader = Cursor::new(buffer.into_inner());
        assert_eq!(
            block_on(codec.read_request(&PROTOCOL, &mut reader)).unwrap(),
            msg
        );

        let mut huge = Cursor::new(u32::MAX.to_be_bytes().to_vec());
        let error = block_on(codec.read_request(&PROTOCOL, &mut huge)).unwrap_err();
        assert!(error.to_string().contains("over the limit"), "{error}");

        let mut truncated = Cursor::new([0, 0, 0, 9, 0, 1].to_vec());
        assert!(block_on(codec.read_request(&PROTOCOL, &mut truncated)).is_err());
    }
}
